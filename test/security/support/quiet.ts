/**
 * Import first in suites that run a service in process: the layer's logger and metrics read these
 * at import time, and thousands of requests would otherwise bury the test report.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
