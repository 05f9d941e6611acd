// Preload: @sentry/node's own recipe with tracing on (what most guides show), DSN from the bench.
import * as Sentry from '@sentry/node';

Sentry.init({ dsn: process.env.BENCH_SENTRY_DSN, tracesSampleRate: 1.0 });
