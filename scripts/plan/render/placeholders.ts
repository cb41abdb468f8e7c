/**
 * Plan values hold "[secret]" and "[unknown]" where the real value exists only at deploy time. Charts validate some
 * of those values (Cilium's tls.ca.cert/key go through Sprig buildCustomCert, which parses a base64 PEM), so before
 * rendering each placeholder becomes a clearly fake value of a shape the chart accepts, and its key path is reported.
 */
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../../../lib/placeholders";

/** Prefix of every placeholder string substituted for a secret or unknown value. */
export const FAKE_PREFIX = "kubeloom-render-placeholder";

// A throw-away self-signed CA generated once for rendering only (CN=kubeloom-render-placeholder-not-a-real-ca).
// Its key is public on purpose: it never signs anything that is deployed. Base64 PEM, as Cilium's tls.ca.* expect.
const FAKE_CA_CERT_B64 = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURTekNDQWpPZ0F3SUJBZ0lVRUtSanVRVHJGd2JFYk5JRG1PZVFkbkNzWGg0d0RRWUpLb1pJaHZjTkFRRUwKQlFBd05ERXlNREFHQTFVRUF3d3BhM1ZpWld4dmIyMHRjbVZ1WkdWeUxYQnNZV05sYUc5c1pHVnlMVzV2ZEMxaApMWEpsWVd3dFkyRXdJQmNOTWpZeE1qQXlNVEV6T0RNMFdoZ1BNakV5TmpFeE1EZ3hNVE00TXpSYU1EUXhNakF3CkJnTlZCQU1NS1d0MVltVnNiMjl0TFhKbGJtUmxjaTF3YkdGalpXaHZiR1JsY2kxdWIzUXRZUzF5WldGc0xXTmgKTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FROEFNSUlCQ2dLQ0FRRUEyUWFWZkV2TENmR1pKandmd2JDKwp6WGl6WXgwUkZGZ2VuVmh4TmJ0SVdCSWZWcGJhd1lETVBvZDRjNVNJQkMyTzVOOUNsT0s3MXMvZ1hqZndKelZaClJqYkE3RVBRYmVYQytOaWNQWStVWGsxMVJnMVhJYisrSFU4OVdpVVZsWmtoMlZTdnk0UzZoOS8zbkZjVU1XV1gKZXdHaHhLanZnUmVwdndpbGhKYjhLSVZkZVplUDdLM2h6bUpHZURGVFJFclB4cDNxcjVzNmsxeW82U3pqK3VBMAphcW5EM0I4VWtydUhBTEtCalJzMWp6dFd2MTZjc2pzcXFOTzZLWXJJVG5GZmtSNVdOU1lFYnBzYVRvUWFBUjlMCk9hQWF2RVQ0em5VTkRDTEpKKyt5TEJUMGwrY0pTQW9tdDl2UTY5dlFPWEh5aVp1NnZjMGhwVHE0YjdWWE1kbmMKVFFJREFRQUJvMU13VVRBZEJnTlZIUTRFRmdRVW95UGtCZFZCaU44dFdpbHdhSGVjNlhIVjJ3QXdId1lEVlIwagpCQmd3Rm9BVW95UGtCZFZCaU44dFdpbHdhSGVjNlhIVjJ3QXdEd1lEVlIwVEFRSC9CQVV3QXdFQi96QU5CZ2txCmhraUc5dzBCQVFzRkFBT0NBUUVBQy9NUHhISjN1QXU1N0tHTk9TMFFSSElCM2RXdHh0Z21Gb05GM3dQamgzcG8KQ2J4bUtvb2NGeHowUDZYQkF3V09hVEJMSlBveXgrdU9SMG5PSTVjdE1KZjBJeHptUGJoWGZzYkg4K2lmMHFVWApxWStITE5tU05nRTNJOW9mTEdwcGdObjRaKzZKb3JORkdSNjgvc0p0bVFXNjVPay9NT252WnE0cFdrQ2ZvODEwCklReG5DcGt2K0FXRGlua2lYSVJKRW1TTHVKQ291dmdJbUcvWk90dlB4NG5PTE9Hcm1FUHdFQXUwTmhwN3oyM08KVGxZV1JVbkhZdHdyVEJkRkdjS29QdkFDamJvNmtTYjBndTRzVjRvRkZKWmtCQVY4VHZsZGVQaVBRaFVoYUhLVApWZUcxK3dibHE2SnpERUlnb3JyL2ZtSWpvc2NIRFU1L1lFZmEvTkRDWkE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
const FAKE_CA_KEY_B64 = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2d0lCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQktrd2dnU2xBZ0VBQW9JQkFRRFpCcFY4UzhzSjhaa20KUEIvQnNMN05lTE5qSFJFVVdCNmRXSEUxdTBoWUVoOVdsdHJCZ013K2gzaHpsSWdFTFk3azMwS1U0cnZXeitCZQpOL0FuTlZsR05zRHNROUJ0NWNMNDJKdzlqNVJlVFhWR0RWY2h2NzRkVHoxYUpSV1ZtU0haVksvTGhMcUgzL2VjClZ4UXhaWmQ3QWFIRXFPK0JGNm0vQ0tXRWx2d29oVjE1bDQvc3JlSE9Za1o0TVZORVNzL0duZXF2bXpxVFhLanAKTE9QNjREUnFxY1BjSHhTU3U0Y0Fzb0dOR3pXUE8xYS9YcHl5T3lxbzA3b3Bpc2hPY1YrUkhsWTFKZ1J1bXhwTwpoQm9CSDBzNW9CcThSUGpPZFEwTUlza243N0lzRlBTWDV3bElDaWEzMjlEcjI5QTVjZktKbTdxOXpTR2xPcmh2CnRWY3gyZHhOQWdNQkFBRUNnZ0VBRS8rR1VORFBJZGh3YTFTSS9Ka2p5OTArY25pZ05VYTFjM3hOMmt5cXF1cm8KbGxzS1IyQnQ4YWtjRVZKemdpY01qc3gvM3laUmRzYnEvdU9hcnBJODZycHE1cHFOSDBOWHh3UjJ5VGxzeTQvSgpxYTNiQkpJZG02Zk1tSHpvVTBPc0dkR3k3VWNLeFRCL0tabmdrM2l3RDdhanlISmt0M21OdTd1NVBOR0k1TmJSCnNQN3pGR0RzbUhoU1JtYkxNdWdRSHg2dkxaanJ5R29TZTFFUXYzMGZFUWFrUUI0WXdOUURJYnJzcnd2dFZ4QlYKVHJ0bGZmbjg3SUV6elUya0N4U1FIQkUxTk5JMHp2RnBxa3VSRCtzc21jelk5N0l0MVd1OEp3Z0htTDRNRXYvQwpOVmg4Tm1DbEEvV0FWN3VxM0x5dSt5cWRIcndkNmRhUm1TaVJTOElqNVFLQmdRRDdrVFBlQmdOV2hoTU14OFZjCll1YWFSMW9FSllLL2FCN09CM1d6YlowZ3JRVGFmdGo3NmlPaXlIZGJ3WW9ZcEM1Y3RZdmZDRW81Nm1LQmlIcE0KRUNpNGx2Q2xUV2tNdU82TGNHbzNqc0Erb3lrQm42NXBHNCtxWWZxOXExaXZhQldRSnBnMGN2NnF6SWtUc1VxdgphSmdUTitJT1p5QjBBMnlHcGhrRmV2KzRhd0tCZ1FEYzJaRlkwc2phMVhtMlNkVVJwRlpOc2RpWWtmbm1xSmtyCmZqNHBCbXZnVUdvbFVNdk5xLzZiWERmK1B0aEZjY2lWaHJoU1d5aDZITmVLVm5ySm5uR05PQmswVzk5UjlEdm0KS2MxRXhncVZneDJwcEhJS1JMMWk0dlByYUFDOTluNFhNNWwxWDRyd0FNQk90SWFYQnd2U0x6R1Y1aDIxT05NWAo1ZXU5cTY5TUp3S0JnUUN2MHl1cU9RK3FNS2t0M0k1UFpQeUJ4ZTdmU1F4YUZUNjZoekkzaHh3MEUxbDZFUUE5CkNjZUFaWll1dGxWN3BYeVY1WGx1RjlBeExHVk8zWUdFbWlLcjZTc21qYlVuWkRXdGxaTlhZMWx3TGY5aUdDWUIKWm5jQ0Fkc0xKN0FqWUo3NWtrLzlFSVozLzk2cXVkWldSTWROWDFpSzhuOFhOckZxWnJyRVB0UnVJd0tCZ1FEUApibDZSTWZITGNLU1A3WXI5dGdBRm01eFh1UXdpZElyaENnTHlYNENsUUlKaUtDQTBQbTYybDRoVCtjMENkTnUwCmJjUGtQcENuR1QzdFJrcXY0bXkrK2tqYUg4eUNXa2FFYVJET25zQkVLOUdKaTlZOUJORm85c2VwZkpidDFYNGEKNXJFbFNDYmtRNkJjakR5NXo3bHZvam9ObEFTbE9RazBNaFVZb2cvVkV3S0JnUUNkU0dUdUwvTDZReEg2bk1vSQpZVWsrR0RVRllMYzZ4alVPWldNbktBS1VONC85eVM4T1d2SHVVblFQY3ZNditicWNqdUhKWk9yeHhhZlJoTVFkCkN6UE4rODRzU1J0Qk80b0dNNGhnNE1OTEQ3SGxRTm1ydTUrQnF1cFJQb2c2L3JoMVVScy9XVHpobmwwUlF3amUKK1BjUDY3Z0ZDQ0E3QTBNL2NvWmh5UVh3NEE9PQotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==";

/** The result of replacing placeholders: the values to render and the key paths that were faked. */
export interface SubstitutedValues {
    readonly values: unknown;
    readonly placeholders: string[];
}

function fakeFor(pathParts: readonly string[], marker: string): string {
    const key = pathParts[pathParts.length - 1] ?? "";
    const underTls = pathParts.includes("tls");
    if (underTls && /^(cert|caCert|crt|ca\.crt)$/.test(key)) return FAKE_CA_CERT_B64;
    if (underTls && /^(key|ca\.key)$/.test(key)) return FAKE_CA_KEY_B64;
    return `${FAKE_PREFIX}-${marker === SECRET_PLACEHOLDER ? "secret" : "unknown"}`;
}

/** Replaces every "[secret]"/"[unknown]" string in the values (deeply) with a fake of an accepted shape. */
export function substitutePlaceholders(values: unknown): SubstitutedValues {
    const placeholders: string[] = [];
    const walk = (value: unknown, pathParts: string[]): unknown => {
        if (typeof value === "string") {
            if (value === SECRET_PLACEHOLDER || value === UNKNOWN_PLACEHOLDER) {
                placeholders.push(`${pathParts.join(".")} (${value})`);
                return fakeFor(pathParts, value);
            }
            if (value.includes(SECRET_PLACEHOLDER) || value.includes(UNKNOWN_PLACEHOLDER)) {
                placeholders.push(`${pathParts.join(".")} (embedded)`);
                return value.split(SECRET_PLACEHOLDER).join(`${FAKE_PREFIX}-secret`).split(UNKNOWN_PLACEHOLDER).join(`${FAKE_PREFIX}-unknown`);
            }
            return value;
        }
        if (Array.isArray(value)) return value.map((item, i) => walk(item, [...pathParts, String(i)]));
        if (value !== null && typeof value === "object") {
            return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, [...pathParts, k])]));
        }
        return value;
    };
    const substituted = walk(values, []);
    return { values: substituted, placeholders: placeholders.sort() };
}
