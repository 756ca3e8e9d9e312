// The reference client of gws-async's benchmarks: the CometD project's JavaScript client
// (npm "cometd") on Node.js through "cometd-nodejs-client", long-polling transport only.
//
// Usage: node client.mjs --url URL --channel CHANNEL --count N --mode burst|latency
//
// Line protocol shared with benchmarks/peer_python.py: prints "READY" once handshaken
// and subscribed, then "RESULT {json}" after N messages (or on stdin "STOP").
// burst:   {received, inOrder, firstAt, lastAt, cpuSeconds}
// latency: {received, inOrder, latenciesMs: [...]}  (receipt time minus data.sentAt)

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";
import { performance } from "node:perf_hooks";
import * as readline from "node:readline";

function parseArgs(argv) {
    const options = { url: "", channel: "", count: 0, mode: "burst" };
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i].replace(/^--/, "");
        const value = argv[i + 1];
        options[name] = name === "count" ? Number(value) : value;
    }
    if (!options.url || !options.channel || !(options.count > 0)) {
        throw new Error("usage: client.mjs --url URL --channel CHANNEL --count N --mode burst|latency");
    }
    return options;
}

const options = parseArgs(process.argv.slice(2));
const now = () => performance.timeOrigin + performance.now();

adapt();
const cometd = new CometD();
// Long polling, like every client measured here.
cometd.unregisterTransport("websocket");
cometd.configure({ url: options.url, logLevel: "warn" });

let received = 0;
let expected = 0;
let inOrder = true;
let firstAt = 0;
let lastAt = 0;
let cpuAtFirst = null;
const latencies = options.mode === "latency" ? new Float64Array(options.count) : null;
let done = false;

function finish() {
    if (done) {
        return;
    }
    done = true;
    const cpu = process.cpuUsage(cpuAtFirst || undefined);
    const result = { received: received, inOrder: inOrder, firstAt: firstAt, lastAt: lastAt };
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (latencies) {
        result.latenciesMs = Array.from(latencies.subarray(0, received), x => Math.round(x * 1000) / 1000);
    }
    // A pipe is written asynchronously: exit only once the line is out.
    process.stdout.write("RESULT " + JSON.stringify(result) + "\n", () => {
        cometd.disconnect(() => process.exit(0));
        setTimeout(() => process.exit(0), 1000);
    });
}

function onMessage(message) {
    const at = now();
    const data = message.data;
    if (received === 0) {
        firstAt = at;
        cpuAtFirst = process.cpuUsage();
    }
    if (data.seq !== expected) {
        inOrder = false;
    }
    expected = data.seq + 1;
    if (latencies) {
        latencies[received] = at - data.sentAt;
    }
    ++received;
    lastAt = at;
    if (received >= options.count) {
        finish();
    }
}

cometd.handshake(reply => {
    if (!reply.successful) {
        console.error("handshake failed", JSON.stringify(reply));
        process.exit(1);
    }
    cometd.subscribe(options.channel, onMessage, subscribeReply => {
        if (!subscribeReply.successful) {
            console.error("subscribe failed", JSON.stringify(subscribeReply));
            process.exit(1);
        }
        process.stdout.write("READY\n");
    });
});

readline.createInterface({ input: process.stdin }).on("line", line => {
    if (line.trim() === "STOP") {
        finish();
    }
});
process.stdin.on("end", () => process.exit(0));
