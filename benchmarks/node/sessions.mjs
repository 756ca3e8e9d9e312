// The many-sessions anchor of gws-async's benchmarks: the CometD project's JavaScript
// client (npm "cometd" on Node.js through "cometd-nodejs-client", long polling only)
// holding N sessions in this one process, each subscribed to its own channel.
//
// Usage: node sessions.mjs --url URL --prefix CHANNEL --sessions N --count C --warmup W
//                          [--concurrency K]
//
// Session i subscribes to PREFIX/i and expects W warm-up messages (data.warmup true),
// then C measured ones with data.seq 0..C-1 and data.sentAt (epoch ms).
// Line protocol shared with benchmarks/peer_sessions.py: prints "READY" once every session
// is handshaken and subscribed, then "RESULT {json}" once every session has its C
// measured messages (or on stdin "STOP"):
// {sessions, received, warmReceived, complete, inOrder, shortSessions, firstAt, lastAt,
//  cpuSeconds, latenciesMs: [...]}; cpuSeconds is this process's CPU time from the first
// measured message to the last.

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";
import { performance } from "node:perf_hooks";
import * as readline from "node:readline";

function parseArgs(argv) {
    const options = { url: "", prefix: "", sessions: 0, count: 0, warmup: 0, concurrency: 50 };
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i].replace(/^--/, "");
        const value = argv[i + 1];
        options[name] = name === "url" || name === "prefix" ? value : Number(value);
    }
    if (!options.url || !options.prefix || !(options.sessions > 0) || !(options.count > 0)) {
        throw new Error("usage: sessions.mjs --url URL --prefix CHANNEL --sessions N --count C --warmup W");
    }
    return options;
}

const options = parseArgs(process.argv.slice(2));
const now = () => performance.timeOrigin + performance.now();

// One cookie store per session. cometd-nodejs-client keeps one store for the whole
// process by default, so every session would share the server's BAYEUX_BROWSER cookie,
// and cometd-nodejs-server holds one /meta/connect per browser (maxSessionsPerBrowser 1):
// the others would be answered at once with "multiple-clients" and a 2 s interval.
// retrieveCookies gets the transport's context (ours: {cookieStore}) with the request's
// URL object, and storeCookie gets that same URL object for the answer's cookies.
const storeOf = new WeakMap();
adapt({
    cookies: {
        retrieveCookies(context, uri, callback) {
            const store = context.cookieStore;
            storeOf.set(uri, store);
            callback(null, Object.values(store));
        },
        storeCookie(uri, header, callback) {
            const store = storeOf.get(uri);
            const nameValue = header.split(";")[0].trim();
            const equal = nameValue.indexOf("=");
            if (store && equal > 0) {
                store[nameValue.substring(0, equal)] = nameValue;
            }
            callback(null);
        },
    },
});

const total = options.sessions * options.count;
const latencies = new Float64Array(total);
let received = 0;
let warmReceived = 0;
let completeSessions = 0;
let firstAt = 0;
let lastAt = 0;
let cpuAtFirst = null;
let done = false;
const clients = [];

class Session {
    constructor(index) {
        this.index = index;
        this.channel = options.prefix + "/" + index;
        this.expected = 0;
        this.received = 0;
        this.inOrder = true;
        this.cometd = new CometD();
        // Long polling, like every client measured here.
        this.cometd.unregisterTransport("websocket");
        this.cometd.findTransport("long-polling").context = { cookieStore: {} };
        this.cometd.configure({ url: options.url, logLevel: "warn" });
    }

    start() {
        return new Promise((resolve, reject) => {
            this.cometd.handshake(reply => {
                if (!reply.successful) {
                    reject(new Error("handshake failed: " + JSON.stringify(reply)));
                    return;
                }
                this.cometd.subscribe(this.channel, message => this.onMessage(message), subscribed => {
                    if (subscribed.successful) {
                        resolve();
                    } else {
                        reject(new Error("subscribe failed: " + JSON.stringify(subscribed)));
                    }
                });
            });
        });
    }

    onMessage(message) {
        const at = now();
        const data = message.data;
        if (data.warmup) {
            ++warmReceived;
            return;
        }
        if (received === 0) {
            firstAt = at;
            cpuAtFirst = process.cpuUsage();
        }
        if (data.seq !== this.expected) {
            this.inOrder = false;
        }
        this.expected = data.seq + 1;
        if (received < total) {
            latencies[received] = at - data.sentAt;
        }
        ++received;
        lastAt = at;
        if (++this.received === options.count) {
            if (++completeSessions === options.sessions) {
                finish();
            }
        }
    }
}

function finish() {
    if (done) {
        return;
    }
    done = true;
    const cpu = process.cpuUsage(cpuAtFirst || undefined);
    const shown = Math.min(received, total);
    const result = {
        sessions: options.sessions,
        received: received,
        warmReceived: warmReceived,
        complete: completeSessions === options.sessions && received === total,
        inOrder: clients.every(c => c.inOrder),
        shortSessions: clients.filter(c => c.received < options.count).length,
        firstAt: firstAt,
        lastAt: lastAt,
        cpuSeconds: cpuAtFirst ? (cpu.user + cpu.system) / 1e6 : 0,
        latenciesMs: Array.from(latencies.subarray(0, shown), x => Math.round(x * 100) / 100),
    };
    // A pipe is written asynchronously: disconnect and exit only once the line is out.
    process.stdout.write("RESULT " + JSON.stringify(result) + "\n", () => {
        let left = clients.length;
        for (const client of clients) {
            client.cometd.disconnect(() => {
                if (--left === 0) {
                    process.exit(0);
                }
            });
        }
        setTimeout(() => process.exit(0), 5000);
    });
}

async function main() {
    for (let i = 0; i < options.sessions; ++i) {
        clients.push(new Session(i));
    }
    // At most `concurrency` handshakes in flight, like the Python peer's logins.
    let next = 0;
    const worker = async () => {
        while (next < clients.length) {
            await clients[next++].start();
        }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, clients.length) }, worker));
    process.stdout.write("READY\n");
}

readline.createInterface({ input: process.stdin }).on("line", line => {
    if (line.trim() === "STOP") {
        finish();
    }
});
// The driver closes stdin once it has the result: exit then, unless still disconnecting.
process.stdin.on("end", () => {
    if (!done) {
        process.exit(0);
    }
});

main().catch(error => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
});
