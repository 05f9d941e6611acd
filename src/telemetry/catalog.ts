// The instrumentations this package knows, by the short names OTEL_NODE_ENABLED_INSTRUMENTATIONS
// and OTEL_NODE_DISABLED_INSTRUMENTATIONS use (package @opentelemetry/instrumentation-<name>).
// `modules` are the package names each one patches, written out here so that choosing and
// hooking costs nothing: an instrumentation package is loaded only when its library is
// (test/telemetry-catalog.test.ts checks these lists against the packages themselves).

export interface CatalogEntry {
  name: string;
  /** The class exported by @opentelemetry/instrumentation-<name>. */
  className: string;
  /** Packages (or core modules) it patches; [] for diagnostics-channel based ones. */
  modules: readonly string[];
  /** On unless the operator enables it by name: fs, dns and net make a span per call. */
  defaultOn: boolean;
}

function entry(name: string, className: string, modules: readonly string[], defaultOn = true): CatalogEntry {
  return { name, className, modules, defaultOn };
}

export const CATALOG: readonly CatalogEntry[] = [
  // HTTP in and out: node:http/https, and undici (global fetch) through diagnostics_channel.
  entry('http', 'HttpInstrumentation', ['http', 'https']),
  entry('undici', 'UndiciInstrumentation', []),
  // Web frameworks.
  entry('express', 'ExpressInstrumentation', ['express']),
  entry('connect', 'ConnectInstrumentation', ['connect']),
  entry('koa', 'KoaInstrumentation', ['koa']),
  entry('hapi', 'HapiInstrumentation', ['@hapi/hapi']),
  entry('restify', 'RestifyInstrumentation', ['restify']),
  entry('nestjs-core', 'NestInstrumentation', ['@nestjs/core']),
  entry('graphql', 'GraphQLInstrumentation', ['graphql']),
  entry('dataloader', 'DataloaderInstrumentation', ['dataloader']),
  entry('socket.io', 'SocketIoInstrumentation', ['socket.io']),
  entry('grpc', 'GrpcInstrumentation', ['@grpc/grpc-js']),
  // Databases, caches, queues.
  entry('pg', 'PgInstrumentation', ['pg', 'pg-pool']),
  entry('mysql', 'MySQLInstrumentation', ['mysql']),
  entry('mysql2', 'MySQL2Instrumentation', ['mysql2']),
  entry('redis', 'RedisInstrumentation', ['redis', '@redis/client', '@node-redis/client']),
  entry('ioredis', 'IORedisInstrumentation', ['ioredis']),
  entry('mongodb', 'MongoDBInstrumentation', ['mongodb']),
  entry('mongoose', 'MongooseInstrumentation', ['mongoose']),
  entry('knex', 'KnexInstrumentation', ['knex']),
  entry('tedious', 'TediousInstrumentation', ['tedious']),
  entry('oracledb', 'OracleInstrumentation', ['oracledb']),
  entry('cassandra-driver', 'CassandraDriverInstrumentation', ['cassandra-driver']),
  entry('memcached', 'MemcachedInstrumentation', ['memcached']),
  entry('generic-pool', 'GenericPoolInstrumentation', ['generic-pool']),
  entry('lru-memoizer', 'LruMemoizerInstrumentation', ['lru-memoizer']),
  entry('amqplib', 'AmqplibInstrumentation', ['amqplib']),
  entry('kafkajs', 'KafkaJsInstrumentation', ['kafkajs']),
  entry('aws-sdk', 'AwsInstrumentation', ['@aws-sdk/middleware-stack', '@smithy/middleware-stack', '@smithy/core',
    '@aws-sdk/smithy-client', '@smithy/smithy-client']),
  entry('openai', 'OpenAIInstrumentation', ['openai']),
  // Log correlation: trace_id/span_id in log records.
  entry('pino', 'PinoInstrumentation', ['pino']),
  entry('winston', 'WinstonInstrumentation', ['winston']),
  entry('bunyan', 'BunyanInstrumentation', ['bunyan']),
  // Noisy: a span per file, lookup or socket.
  entry('fs', 'FsInstrumentation', ['fs', 'fs/promises'], false),
  entry('dns', 'DnsInstrumentation', ['dns', 'dns/promises'], false),
  entry('net', 'NetInstrumentation', ['net'], false),
];

export function packageOf(entry: CatalogEntry): string {
  return `@opentelemetry/instrumentation-${entry.name}`;
}
