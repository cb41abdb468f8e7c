// Kubeloom: read config, compose, export outputs. Everything else lives in stacks/ and components/.
import { kubeloomProgram } from "./stacks/program";

// The CLI entry only (the offline plan runs stacks/program.ts itself): warn when `pulumi up` was run directly.
export = () => kubeloomProgram({ warnUncheckedUpgrade: true });
