// Captures what the SDK writes to stderr (its warnings) while `work` runs.

export async function captureStderr<T>(work: () => T | Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await work();
    return { result, stderr };
  } finally {
    process.stderr.write = original;
  }
}
