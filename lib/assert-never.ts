/** Exhaustiveness for `switch` over a discriminated union: a new variant without a case is a type error here. */
export function assertNever(value: never): never {
    throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
