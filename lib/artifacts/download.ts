/**
 * HTTPS GET with bounded connect and total time, a size cap and a few redirects (GitHub release assets redirect
 * to a storage host), plus the one-per-store network probe. Plain http is refused: every locked URL is https.
 */
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";

/** Limits and trust for one download. */
export interface DownloadOptions {
    /** Time to open the TLS connection (DNS, TCP, handshake). @default 10000 */
    readonly connectTimeoutMs?: number;
    /** Time for the whole transfer, redirects included. @default 120000 */
    readonly totalTimeoutMs?: number;
    /** Largest accepted body. @default 64 MiB */
    readonly maxBytes?: number;
    /** Extra CA certificates (PEM) to trust besides Node's defaults, e.g. a test server's self-signed certificate. */
    readonly ca?: string;
}

/** Errors that mean "the network is not there", as opposed to a server answering wrongly. */
const NETWORK_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPERM", "EACCES"]);

/** A download failure; `network` is true when no connection could be made at all. */
export class DownloadError extends Error {
    constructor(
        message: string,
        readonly network: boolean,
    ) {
        super(message);
        this.name = "DownloadError";
    }
}

/** Fetches `url` (https only) into memory. */
export function download(url: string, options: DownloadOptions = {}): Promise<Buffer> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const totalTimeoutMs = options.totalTimeoutMs ?? 120_000;
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    const deadline = Date.now() + totalTimeoutMs;
    const get = (target: string, redirectsLeft: number): Promise<Buffer> =>
        new Promise((resolve, reject) => {
            const parsed = new URL(target);
            if (parsed.protocol !== "https:") return reject(new DownloadError(`${target}: only https downloads are allowed`, false));
            let connected = false;
            const request = https.get(parsed, { ca: options.ca ? [...tls.rootCertificates, options.ca] : undefined, timeout: connectTimeoutMs }, (response) => {
                const status = response.statusCode ?? 0;
                if (status >= 300 && status < 400 && response.headers.location) {
                    response.resume();
                    if (redirectsLeft === 0) return reject(new DownloadError(`${url}: too many redirects`, false));
                    return resolve(get(new URL(response.headers.location, target).toString(), redirectsLeft - 1));
                }
                if (status !== 200) {
                    response.resume();
                    return reject(new DownloadError(`${target}: HTTP ${status}`, false));
                }
                const chunks: Buffer[] = [];
                let received = 0;
                response.on("data", (chunk: Buffer) => {
                    received += chunk.length;
                    if (received > maxBytes) request.destroy(new DownloadError(`${target}: larger than ${maxBytes} bytes`, false));
                    else chunks.push(chunk);
                });
                response.on("end", () => resolve(Buffer.concat(chunks)));
                response.on("error", (error) => reject(error));
            });
            request.on("socket", (socket) => socket.once("secureConnect", () => (connected = true)));
            // `timeout` fires on inactivity: before the connection that bounds connecting; after, stalls.
            request.on("timeout", () => request.destroy(new DownloadError(`${target}: ${connected ? "stalled" : `no connection within ${connectTimeoutMs} ms`}`, !connected)));
            const remaining = deadline - Date.now();
            const total = setTimeout(() => request.destroy(new DownloadError(`${url}: not finished within ${totalTimeoutMs} ms`, !connected)), Math.max(remaining, 0));
            request.on("close", () => clearTimeout(total));
            request.on("error", (error: NodeJS.ErrnoException) => {
                if (error instanceof DownloadError) return reject(error);
                reject(new DownloadError(`${target}: ${error.code ?? error.message}`, !connected && NETWORK_CODES.has(error.code ?? "")));
            });
        });
    return get(url, 5);
}

/**
 * Whether a TLS connection to `host`:443 opens within `timeoutMs`: the store asks once, before its first download,
 * so a machine without network costs one short wait per run, not one per artifact.
 */
export function probeNetwork(host: string, timeoutMs = 5_000, port = 443): Promise<{ readonly ok: boolean; readonly reason: string }> {
    return new Promise((resolve) => {
        // Only reachability is probed (no data is exchanged), hence no certificate check; SNI only for host names.
        const socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, timeout: timeoutMs, rejectUnauthorized: false });
        const done = (ok: boolean, reason: string) => {
            socket.destroy();
            resolve({ ok, reason });
        };
        socket.once("secureConnect", () => done(true, `${host}:${port} reachable`));
        socket.once("timeout", () => done(false, `no connection to ${host}:${port} within ${timeoutMs} ms`));
        socket.once("error", (error: NodeJS.ErrnoException) => done(false, `${host}:${port}: ${error.code ?? error.message}`));
    });
}
