/** The shape of a cross-field rule and the helpers every rule file shares. */
import type { ConfigIssue } from "../config-error";
import type { StackConfig } from "../schema";

/** A cross-field rule: the issues it finds in a config whose fields are individually valid. */
export type Rule = (config: StackConfig) => ConfigIssue[];




/** Indexes of the items whose key an earlier item already has. */
export function duplicates<T>(items: readonly T[], key: (item: T) => unknown): number[] {
    const seen = new Map<unknown, number>();
    const repeated: number[] = [];
    items.forEach((item, index) => {
        const k = key(item);
        if (seen.has(k)) repeated.push(index);
        else seen.set(k, index);
    });
    return repeated;
}
