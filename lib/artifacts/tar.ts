/**
 * Reads the regular files of a gzip-compressed tar (a Helm chart archive) in pure Node: zlib for the gzip layer,
 * the POSIX ustar header layout for the rest, with the two long-name extensions Go's archive/tar (which `helm
 * package` uses) and GNU tar write: PAX `path=` records and GNU `L` entries. Nothing is written to disk.
 */
import * as zlib from "node:zlib";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
    const raw = header.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? length : end).toString("utf8");
}

function size(header: Buffer): number {
    // Sizes of 8 GiB or more use base-256 (high bit set); a chart never does, but a corrupt one must not loop.
    if (header[124] & 0x80) throw new Error("tar: base-256 entry sizes are not supported");
    const text = field(header, 124, 12).trim();
    const value = text === "" ? 0 : parseInt(text, 8);
    if (!Number.isFinite(value) || value < 0) throw new Error(`tar: bad entry size ${JSON.stringify(text)}`);
    return value;
}

function paxPath(body: Buffer): string | undefined {
    let found: string | undefined;
    let offset = 0;
    while (offset < body.length) {
        const space = body.indexOf(0x20, offset);
        if (space < 0) break;
        const length = parseInt(body.subarray(offset, space).toString("utf8"), 10);
        if (!(length > 0)) break;
        const record = body.subarray(space + 1, offset + length - 1).toString("utf8");
        const eq = record.indexOf("=");
        if (record.slice(0, eq) === "path") found = record.slice(eq + 1);
        offset += length;
    }
    return found;
}

/** The regular files of a tar stream, by path (leading `./` removed). Throws on a truncated or malformed archive. */
export function readTar(tar: Buffer): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    let offset = 0;
    let longName: string | undefined;
    while (offset + BLOCK <= tar.length) {
        const header = tar.subarray(offset, offset + BLOCK);
        if (header.every((byte) => byte === 0)) break;
        const checksum = parseInt(field(header, 148, 8).trim(), 8);
        let sum = 0;
        for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
        if (checksum !== sum) throw new Error(`tar: header checksum mismatch at offset ${offset}`);
        const type = String.fromCharCode(header[156] || 0x30);
        const length = size(header);
        const bodyStart = offset + BLOCK;
        if (bodyStart + length > tar.length) throw new Error(`tar: entry at offset ${offset} is truncated`);
        const body = tar.subarray(bodyStart, bodyStart + length);
        offset = bodyStart + Math.ceil(length / BLOCK) * BLOCK;
        if (type === "x") {
            longName = paxPath(body) ?? longName;
            continue;
        }
        if (type === "L") {
            longName = body.toString("utf8").replace(/\0+$/, "");
            continue;
        }
        if (type === "g") continue;
        const prefix = field(header, 345, 155);
        const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
        longName = undefined;
        if (type === "0" || type === "7") files.set(name.replace(/^\.\//, ""), Buffer.from(body));
    }
    return files;
}

/** The regular files of a `.tgz`, by path. */
export function readTarGz(archive: Buffer): Map<string, Buffer> {
    return readTar(zlib.gunzipSync(archive));
}
