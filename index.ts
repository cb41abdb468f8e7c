// Kubeloom: read config, compose, export outputs. Everything else lives in stacks/ and components/.
import { kubeloomProgram } from "./stacks/program";

export = kubeloomProgram;
