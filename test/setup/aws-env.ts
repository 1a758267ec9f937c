/** Per-worker setup: point every AWS SDK client of the test at this project's own moto server. */
import { inject } from "vitest";
import { localAwsEnv } from "../../tools/local/aws-env.ts";

Object.assign(process.env, localAwsEnv(inject("localAws").endpoint));
