'use strict';

// Loopback Bayeux server for gws-async's benchmarks: the CometD project's own Node.js
// server (cometd-nodejs-server), as in tests/cometd_server/server.js, plus a control API
// that publishes bursts and paced streams server-side.
//
// Usage: node server.js [--timeout MS] [--max-interval MS] [--interval MS] [--ignore-stdin]
//
// Prints one line "LISTENING <port>" once it accepts connections on 127.0.0.1 and, where
// the machine has it, ::1 (so "localhost" reaches it whatever the resolver prefers).
// Exits on SIGTERM/SIGINT and when stdin closes.
//
// Control API (JSON bodies):
//   POST /control/burst {channel, count, data, chunk}
//       publishes `count` copies of `data` with "seq": 0..count-1, yielding to the
//       event loop every `chunk` messages; answers {published, startedAt, endedAt}
//       (epoch milliseconds) once all are queued.
//   POST /control/paced {channel, rate, duration, data}
//       publishes `rate` messages per second for `duration` seconds; each carries
//       "seq" and "sentAt" (epoch milliseconds, fractional, taken right before it
//       is published); answers when done with {published, startedAt, endedAt, lateTicks}.
//   GET /control/sessions  {sessions, held, subscriptions}
//   GET /control/info      {hosts, timeout, maxInterval, interval, package}

const http = require('http');
const { performance } = require('perf_hooks');
const cometd = require('cometd-nodejs-server');

function parseArgs(argv) {
    const options = { timeout: 10000, maxInterval: 10000, interval: 0, watchStdin: true };
    for (let i = 0; i < argv.length; ++i) {
        const arg = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) {
                throw new Error('missing value for ' + arg);
            }
            return Number(argv[++i]);
        };
        switch (arg) {
            case '--timeout':
                options.timeout = value();
                break;
            case '--max-interval':
                options.maxInterval = value();
                break;
            case '--interval':
                options.interval = value();
                break;
            case '--ignore-stdin':
                options.watchStdin = false;
                break;
            default:
                throw new Error('unknown argument ' + arg);
        }
    }
    for (const name of ['timeout', 'maxInterval', 'interval']) {
        if (!Number.isInteger(options[name]) || options[name] < 0) {
            throw new Error('invalid ' + name + ': ' + options[name]);
        }
    }
    return options;
}

const options = parseArgs(process.argv.slice(2));

const bayeux = cometd.createCometDServer({
    timeout: options.timeout,
    maxInterval: options.maxInterval,
    interval: options.interval,
});

const sessions = new Map();
bayeux.addListener('sessionAdded', session => sessions.set(session.id, session));
bayeux.addListener('sessionRemoved', session => sessions.delete(session.id));

const now = () => performance.timeOrigin + performance.now();

class RequestError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

function publishOne(channel, data) {
    return new Promise((resolve, reject) => {
        channel.publish(null, data, failure => (failure ? reject(failure) : resolve()));
    });
}

function checkChannel(name) {
    if (typeof name !== 'string' || !/^\/[^*]+$/.test(name) || /^\/(meta|service)\//.test(name)) {
        throw new RequestError(400, 'channel must be a broadcast channel name');
    }
    return bayeux.createServerChannel(name);
}

function checkData(data) {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new RequestError(400, 'data must be a JSON object');
    }
    return data;
}

async function burst(body) {
    const channel = checkChannel(body.channel);
    const data = checkData(body.data);
    const count = body.count;
    const chunk = body.chunk === undefined ? 100 : body.chunk;
    if (!Number.isInteger(count) || count < 0) {
        throw new RequestError(400, 'count must be an integer >= 0');
    }
    if (!Number.isInteger(chunk) || chunk < 1) {
        throw new RequestError(400, 'chunk must be an integer >= 1');
    }
    const startedAt = now();
    for (let i = 0; i < count; ++i) {
        if (i > 0 && i % chunk === 0) {
            await new Promise(resolve => setImmediate(resolve));
        }
        // A shallow copy per message: the server caches each message's JSON on it.
        await publishOne(channel, Object.assign({}, data, { seq: i }));
    }
    return { published: count, startedAt: startedAt, endedAt: now() };
}

async function paced(body) {
    const channel = checkChannel(body.channel);
    const data = checkData(body.data);
    const rate = body.rate;
    const duration = body.duration;
    if (typeof rate !== 'number' || !(rate > 0) || rate > 100000) {
        throw new RequestError(400, 'rate must be a number in (0, 100000]');
    }
    if (typeof duration !== 'number' || !(duration > 0) || duration > 600) {
        throw new RequestError(400, 'duration must be a number of seconds in (0, 600]');
    }
    const total = Math.round(rate * duration);
    const startedAt = now();
    let sent = 0;
    let lateTicks = 0;
    // Every millisecond or so, publish what the schedule says is due: messages leave at
    // their scheduled time to within the timer's resolution, never in catch-up bursts
    // larger than the schedule's backlog.
    while (sent < total) {
        const elapsed = now() - startedAt;
        const due = Math.min(total, Math.floor((elapsed / 1000) * rate) + 1);
        if (due - sent > 2) {
            ++lateTicks;
        }
        while (sent < due) {
            const message = Object.assign({}, data, { seq: sent, sentAt: now() });
            await publishOne(channel, message);
            ++sent;
        }
        const next = startedAt + (sent / rate) * 1000;
        const wait = next - now();
        await new Promise(resolve => setTimeout(resolve, wait > 1 ? wait : 1));
    }
    return { published: sent, startedAt: startedAt, endedAt: now(), lateTicks: lateTicks };
}

const MAX_BODY = 1024 * 1024;

function readJson(request) {
    return new Promise((resolve, reject) => {
        let text = '';
        request.setEncoding('utf8');
        request.on('data', chunk => {
            text += chunk;
            if (text.length > MAX_BODY) {
                reject(new RequestError(413, 'body too large'));
                request.destroy();
            }
        });
        request.on('end', () => {
            if (text.trim() === '') {
                resolve({});
                return;
            }
            try {
                const value = JSON.parse(text);
                if (value === null || typeof value !== 'object' || Array.isArray(value)) {
                    reject(new RequestError(400, 'body must be a JSON object'));
                } else {
                    resolve(value);
                }
            } catch (e) {
                reject(new RequestError(400, 'invalid JSON: ' + e.message));
            }
        });
        request.on('error', reject);
    });
}

function sendJson(response, status, value) {
    const body = JSON.stringify(value);
    response.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
    });
    response.end(body);
}

let listeningHosts = [];

const routes = {
    'POST /control/burst': burst,
    'POST /control/paced': paced,
    'GET /control/sessions': () => {
        const counts = {};
        for (const session of sessions.values()) {
            for (const channel of session.subscriptions) {
                counts[channel.name] = (counts[channel.name] || 0) + 1;
            }
        }
        return {
            sessions: sessions.size,
            held: Array.from(sessions.values()).filter(session => session._scheduler).length,
            subscriptions: counts,
        };
    },
    'GET /control/info': () => ({
        hosts: listeningHosts,
        timeout: options.timeout,
        maxInterval: options.maxInterval,
        interval: options.interval,
        package: require('cometd-nodejs-server/package.json').version,
        node: process.version,
    }),
};

async function handleControl(request, response, path) {
    const route = routes[request.method + ' ' + path];
    if (!route) {
        throw new RequestError(404, request.method + ' ' + path);
    }
    const body = request.method === 'POST' ? await readJson(request) : {};
    sendJson(response, 200, await route(body));
}

function handle(request, response) {
    const path = new URL(request.url, 'http://unused').pathname;
    if (path === '/cometd' || path.startsWith('/cometd/')) {
        bayeux.handle(request, response);
    } else if (path.startsWith('/control/')) {
        handleControl(request, response, path).catch(error => {
            const status = error instanceof RequestError ? error.status : 500;
            if (status === 500) {
                console.error(error);
            }
            if (!response.headersSent) {
                sendJson(response, status, { error: String(error.message || error) });
            }
        });
    } else {
        sendJson(response, 404, { error: 'not found: ' + path });
    }
}

function listen(host, port) {
    return new Promise((resolve, reject) => {
        const server = http.createServer(handle);
        server.requestTimeout = 0;
        server.headersTimeout = 60000;
        server.keepAliveTimeout = 60000;
        const onError = error => reject(error);
        server.once('error', onError);
        server.listen({ host: host, port: port, ipv6Only: host.includes(':') }, () => {
            server.removeListener('error', onError);
            resolve(server);
        });
    });
}

function closeServer(server) {
    return new Promise(resolve => {
        server.close(() => resolve());
        if (server.closeAllConnections) {
            server.closeAllConnections();
        }
    });
}

async function listenLoopback() {
    for (let attempt = 0; attempt < 20; ++attempt) {
        const v4 = await listen('127.0.0.1', 0);
        const port = v4.address().port;
        try {
            const v6 = await listen('::1', port);
            return { servers: [v4, v6], hosts: ['127.0.0.1', '::1'], port: port };
        } catch (error) {
            if (error.code === 'EADDRINUSE') {
                await closeServer(v4);
                continue;
            }
            if (['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT'].includes(error.code)) {
                return { servers: [v4], hosts: ['127.0.0.1'], port: port };
            }
            await closeServer(v4);
            throw error;
        }
    }
    throw new Error('no port free on both 127.0.0.1 and ::1');
}

async function main() {
    const bound = await listenLoopback();
    listeningHosts = bound.hosts;
    let stopping = false;
    const stop = async () => {
        if (stopping) {
            return;
        }
        stopping = true;
        bayeux.close();
        await Promise.all(bound.servers.map(closeServer));
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    if (options.watchStdin) {
        process.stdin.on('end', stop);
        process.stdin.on('close', stop);
        process.stdin.on('error', stop);
        process.stdin.resume();
    }
    process.stdout.write('LISTENING ' + bound.port + '\n');
}

main().catch(error => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
});
