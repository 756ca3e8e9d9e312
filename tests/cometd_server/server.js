'use strict';

// Loopback Bayeux server for gws-async's integration tests.
//
// The Bayeux side is the CometD project's own Node.js server
// (cometd-nodejs-server), so our client is checked against an implementation
// we did not write. A small JSON control API under /control/ lets a test make
// the server publish, lose its sessions, and report what it holds.
//
// The benchmarks (benchmarks/cometd.py, benchmarks/sessions.py) run this same
// server; the burst, paced, paced-sessions and counters routes below are
// theirs, and so is GET /api/v2/me: a minimal GWS-like login, so that
// gws-async's GwsClient (which logs in with that request before it uses the
// Bayeux endpoint) can be pointed here with cometd_path="/cometd".
//
// Usage: node server.js [--host HOST] [--port PORT] [--timeout MS] [--max-interval MS]
//                       [--interval MS] [--ignore-stdin]
//   env: COMETD_HOST, COMETD_PORT, COMETD_TIMEOUT, COMETD_MAX_INTERVAL, COMETD_INTERVAL
//   --port: a fixed port (default: any free one), so a killed server can come back
//   where its clients expect it.
//
// Prints exactly one line "LISTENING <port>" on stdout once it accepts
// connections. Exits on SIGTERM/SIGINT, and when stdin closes (so that a test
// runner that dies cannot leave it behind) unless --ignore-stdin is given.

const http = require('http');
const { performance } = require('perf_hooks');
const cometd = require('cometd-nodejs-server');

function parseArgs(argv) {
    const options = {
        host: process.env.COMETD_HOST || '',
        port: Number(process.env.COMETD_PORT || 0),
        timeout: Number(process.env.COMETD_TIMEOUT || 2000),
        maxInterval: Number(process.env.COMETD_MAX_INTERVAL || 10000),
        interval: Number(process.env.COMETD_INTERVAL || 0),
        watchStdin: true,
    };
    for (let i = 0; i < argv.length; ++i) {
        const arg = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) {
                throw new Error('missing value for ' + arg);
            }
            return argv[++i];
        };
        switch (arg) {
            case '--host':
                options.host = value();
                break;
            case '--port':
                options.port = Number(value());
                break;
            case '--timeout':
                options.timeout = Number(value());
                break;
            case '--max-interval':
                options.maxInterval = Number(value());
                break;
            case '--interval':
                options.interval = Number(value());
                break;
            case '--ignore-stdin':
                options.watchStdin = false;
                break;
            default:
                throw new Error('unknown argument ' + arg);
        }
    }
    for (const name of ['port', 'timeout', 'maxInterval', 'interval']) {
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

// The package keeps its session table private, so it is mirrored here from
// the events it emits.
const sessions = new Map();
bayeux.addListener('sessionAdded', session => {
    sessions.set(session.id, session);
});
bayeux.addListener('sessionRemoved', session => {
    sessions.delete(session.id);
});

// Benchmarks: what the server answered, to tell how many messages each
// /meta/connect answer carried. "queueDrain" is emitted each time an answer
// takes the session's queue (the /meta/connect answers, and any other answer
// to a session's batch), empty or not.
const counters = { connects: 0, drains: 0, drainsWithData: 0, drained: 0 };
bayeux.addListener('sessionAdded', session => {
    session.addListener('queueDrain', (_session, queue) => {
        ++counters.drains;
        if (queue.length > 0) {
            ++counters.drainsWithData;
            counters.drained += queue.length;
        }
    });
});
bayeux.addExtension({
    incoming: (server, session, message, callback) => {
        if (message.channel === '/meta/connect') {
            ++counters.connects;
        }
        callback(undefined, true);
    },
});

// Lets a test see what its client really put on the wire: a message whose
// ext has an "echo" member gets that value back in its reply's ext, and the
// value of the request's X-Bayeux-Echo header comes back as ext.header.
bayeux.addExtension({
    incoming: (server, session, message, callback) => {
        const reply = message.reply;
        if (reply) {
            const ext = {};
            if (message.ext && Object.prototype.hasOwnProperty.call(message.ext, 'echo')) {
                ext.echo = message.ext.echo;
            }
            const request = server.context.request;
            const header = request && request.headers['x-bayeux-echo'];
            if (header !== undefined) {
                ext.header = header;
            }
            if (Object.keys(ext).length > 0) {
                reply.ext = Object.assign({}, reply.ext, ext);
            }
        }
        callback(undefined, true);
    },
});

function subscriptionCounts() {
    const counts = {};
    for (const session of sessions.values()) {
        for (const channel of session.subscriptions) {
            counts[channel.name] = (counts[channel.name] || 0) + 1;
        }
    }
    return counts;
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

// Epoch milliseconds, fractional: comparable with the clients' clocks.
const now = () => performance.timeOrigin + performance.now();

async function publish(body) {
    const channel = checkChannel(body.channel);
    const count = body.count;
    const start = body.start === undefined ? 0 : body.start;
    // "chunk" spreads the messages over several event-loop turns, so that they
    // reach the client in many HTTP responses instead of one or two.
    const chunk = body.chunk === undefined ? Math.max(count, 1) : body.chunk;
    if (!Number.isInteger(count) || count < 0) {
        throw new RequestError(400, 'count must be an integer >= 0');
    }
    if (!Number.isInteger(start)) {
        throw new RequestError(400, 'start must be an integer');
    }
    if (!Number.isInteger(chunk) || chunk < 1) {
        throw new RequestError(400, 'chunk must be an integer >= 1');
    }
    // How many messages went out while someone was subscribed: those, and only
    // those, a subscriber must receive.
    let reached = 0;
    for (let i = 0; i < count; ++i) {
        if (i > 0 && i % chunk === 0) {
            await new Promise(resolve => setImmediate(resolve));
        }
        if (channel.subscribers.length > 0) {
            ++reached;
        }
        await publishOne(channel, { seq: start + i });
    }
    return { published: count, reached: reached };
}

// Benchmarks: `count` copies of `data` with "seq": 0..count-1, yielding to the
// event loop every `chunk` messages; answers {published, startedAt, endedAt}.
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

// Benchmarks: `sessions` channels "<prefix>/0" .. "<prefix>/<sessions-1>", each
// at `rate` messages/s for `duration` s, spread evenly: message k of channel i
// is due (k + i / sessions) / rate seconds after the start. Each message is a
// copy of `data` with "seq" (0.. on its channel) and "sentAt" (epoch ms, read
// right before publishing). Answers {published, startedAt, endedAt, lateTicks,
// maxLagMs}: lateTicks counts the timer ticks that found more than 2 messages
// overdue, maxLagMs the worst delay of a message behind its schedule.
async function pacedSessions(body) {
    const data = checkData(body.data);
    const count = body.sessions;
    const rate = body.rate;
    const duration = body.duration;
    if (typeof body.prefix !== 'string' || !/^\/[^*]+[^/*]$/.test(body.prefix)) {
        throw new RequestError(400, 'prefix must be a channel name without a trailing slash');
    }
    if (!Number.isInteger(count) || count < 1 || count > 100000) {
        throw new RequestError(400, 'sessions must be an integer in [1, 100000]');
    }
    if (typeof rate !== 'number' || !(rate > 0) || rate * count > 1000000) {
        throw new RequestError(400, 'rate must be a number > 0, rate * sessions <= 1000000');
    }
    if (typeof duration !== 'number' || !(duration > 0) || duration > 600) {
        throw new RequestError(400, 'duration must be a number of seconds in (0, 600]');
    }
    const channels = [];
    for (let i = 0; i < count; ++i) {
        channels.push(checkChannel(body.prefix + '/' + i));
    }
    const perChannel = Math.round(rate * duration);
    const total = perChannel * count;
    const overall = rate * count;
    const startedAt = now();
    let sent = 0;
    let lateTicks = 0;
    let maxLagMs = 0;
    while (sent < total) {
        const elapsed = now() - startedAt;
        const due = Math.min(total, Math.floor((elapsed / 1000) * overall) + 1);
        if (due - sent > 2) {
            ++lateTicks;
        }
        while (sent < due) {
            const sentAt = now();
            maxLagMs = Math.max(maxLagMs, sentAt - (startedAt + (sent / overall) * 1000));
            const message = Object.assign({}, data, { seq: Math.floor(sent / count), sentAt: sentAt });
            await publishOne(channels[sent % count], message);
            ++sent;
        }
        const next = startedAt + (sent / overall) * 1000;
        const wait = next - now();
        await new Promise(resolve => setTimeout(resolve, wait > 1 ? wait : 1));
    }
    return {
        published: sent,
        perChannel: perChannel,
        startedAt: startedAt,
        endedAt: now(),
        lateTicks: lateTicks,
        maxLagMs: maxLagMs,
    };
}

// A minimal GWS-like GET /api/v2/me for benchmarks: any Basic credentials are
// accepted and the user is named after the user name; no cookie, no CSRF token.
// Without Basic credentials: 401, as GWS answers.
function handleMe(request, response) {
    if (request.method !== 'GET') {
        sendJson(response, 405, { statusCode: 2, statusMessage: 'method not allowed' });
        return;
    }
    const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization || '');
    const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
        response.setHeader('WWW-Authenticate', 'Basic realm="gws"');
        sendJson(response, 401, { statusCode: 3, statusMessage: 'unauthorized' });
        return;
    }
    const name = decoded.substring(0, colon);
    sendJson(response, 200, {
        statusCode: 0,
        user: { id: name, userName: name, firstName: name, lastName: 'Bench', roles: ['ROLE_AGENT'] },
    });
}

// mode "expire" (default): forget each session the way the server does when
// maxInterval runs out (the same private call its sweeper makes), so the
// client's next /meta/connect is answered "402::session_unknown" with advice
// reconnect=handshake. A /meta/connect held at that moment is released with
// its normal reply first, so the client does not wait out the long poll.
//
// mode "disconnect": the public ServerSession.disconnect(), which also queues
// a /meta/disconnect message to the client (a deliberate server-side
// disconnect, which CometD clients take as "stop", not as "re-handshake").
function dropSessions(body) {
    const mode = body.mode === undefined ? 'expire' : body.mode;
    if (mode !== 'expire' && mode !== 'disconnect') {
        throw new RequestError(400, 'mode must be "expire" or "disconnect"');
    }
    const victims = Array.from(sessions.values());
    for (const session of victims) {
        if (mode === 'disconnect') {
            session.disconnect();
        } else {
            bayeux._removeServerSession(session, true);
            if (session._scheduler) {
                session._scheduler.resume();
            }
        }
    }
    return { dropped: victims.length, mode: mode };
}

class RequestError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

const MAX_BODY = 64 * 1024;

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
    'POST /control/publish': publish,
    'POST /control/drop-sessions': dropSessions,
    'POST /control/burst': burst,
    'POST /control/paced': paced,
    'POST /control/paced-sessions': pacedSessions,
    'GET /control/counters': () => Object.assign({}, counters),
    'GET /control/sessions': () => ({
        sessions: sessions.size,
        subscriptions: subscriptionCounts(),
        // Sessions whose /meta/connect the server is holding right now.
        held: Array.from(sessions.values()).filter(session => session._scheduler).length,
    }),
    'GET /control/info': () => ({
        hosts: listeningHosts,
        timeout: options.timeout,
        maxInterval: options.maxInterval,
        interval: options.interval,
        node: process.version,
        package: require('cometd-nodejs-server/package.json').version,
    }),
};

async function handleControl(request, response, path) {
    const route = routes[request.method + ' ' + path];
    if (!route) {
        const known = Object.keys(routes).some(key => key.endsWith(' ' + path));
        throw new RequestError(known ? 405 : 404, request.method + ' ' + path);
    }
    const body = request.method === 'POST' ? await readJson(request) : {};
    sendJson(response, 200, await route(body));
}

function handle(request, response) {
    const path = new URL(request.url, 'http://unused').pathname;
    if (path === '/cometd' || path.startsWith('/cometd/')) {
        bayeux.handle(request, response);
    } else if (path === '/api/v2/me') {
        handleMe(request, response);
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
        // Node's own request timeout must outlast the Bayeux long poll.
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

// "localhost" resolves to ::1 before 127.0.0.1 on many systems, and to
// 127.0.0.1 only on others. Serving both loopback addresses on one port makes
// a URL with "localhost" reach the same server whatever the resolver says,
// without listening on every interface as "::" would.
async function listenLoopback(fixedPort) {
    for (let attempt = 0; attempt < 20; ++attempt) {
        const v4 = await listen('127.0.0.1', fixedPort);
        const port = v4.address().port;
        try {
            const v6 = await listen('::1', port);
            return { servers: [v4, v6], hosts: ['127.0.0.1', '::1'], port: port };
        } catch (error) {
            if (error.code === 'EADDRINUSE' && !fixedPort) {
                await closeServer(v4);
                continue;
            }
            if (['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT'].includes(error.code)) {
                console.error('IPv6 loopback unavailable (' + error.code + '), serving 127.0.0.1 only');
                return { servers: [v4], hosts: ['127.0.0.1'], port: port };
            }
            await closeServer(v4);
            throw error;
        }
    }
    throw new Error('no port free on both 127.0.0.1 and ::1');
}

async function main() {
    let bound;
    if (options.host) {
        const server = await listen(options.host, options.port);
        bound = { servers: [server], hosts: [options.host], port: server.address().port };
    } else {
        bound = await listenLoopback(options.port);
    }
    listeningHosts = bound.hosts;

    let stopping = false;
    const stop = async reason => {
        if (stopping) {
            return;
        }
        stopping = true;
        bayeux.close();
        // Held long polls would keep server.close() waiting for the CometD timeout.
        await Promise.all(bound.servers.map(closeServer));
        process.exitCode = 0;
        if (reason) {
            console.error('cometd test server stopped: ' + reason);
        }
        process.exit();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (options.watchStdin) {
        process.stdin.on('end', () => stop('stdin closed'));
        process.stdin.on('close', () => stop('stdin closed'));
        process.stdin.on('error', () => stop('stdin error'));
        process.stdin.resume();
    }

    console.error('cometd-nodejs-server on ' + bound.hosts.map(h => (h.includes(':') ? '[' + h + ']' : h) + ':' + bound.port).join(', ') + ' (timeout ' + options.timeout + ' ms, maxInterval ' + options.maxInterval + ' ms)');
    process.stdout.write('LISTENING ' + bound.port + '\n');
}

main().catch(error => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
});
