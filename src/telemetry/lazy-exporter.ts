// A SpanExporter that loads and constructs the real one on first use. The OTLP exporter
// and its transformer are ~20 ms of module loading; the first export happens seconds after
// start (batch delay) or at shutdown, so that cost moves off the startup path, and a
// process that records no span never pays it.

import type { SpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';

type ExportResult = Parameters<SpanExporter['export']>[1] extends (result: infer R) => void ? R : never;

export class LazySpanExporter implements SpanExporter {
  #create: () => SpanExporter | undefined;
  #onFirstFailure: (error: Error | undefined) => void;
  #exporter: SpanExporter | undefined;
  #failed = false;
  #reported = false;

  /** `onFirstFailure` is told about the first failed export only: one warning, not one per batch. */
  constructor(create: () => SpanExporter | undefined, onFirstFailure: (error: Error | undefined) => void) {
    this.#create = create;
    this.#onFirstFailure = onFirstFailure;
  }

  #get(): SpanExporter | undefined {
    if (!this.#exporter && !this.#failed) {
      this.#exporter = this.#create();
      this.#failed = this.#exporter === undefined;
    }
    return this.#exporter;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const exporter = this.#get();
    // code 1 = ExportResultCode.FAILED; the reason was already warned by `create`.
    if (!exporter) resultCallback({ code: 1, error: new Error('span exporter unavailable') } as ExportResult);
    else exporter.export(spans, (result) => {
      if (result.code !== 0 && !this.#reported) {
        this.#reported = true;
        this.#onFirstFailure(result.error);
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.#exporter?.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#exporter?.shutdown() ?? Promise.resolve();
  }
}
