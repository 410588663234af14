/**
 * Parses `10485760`, `512kb`, `10mb`, `1gb` into bytes (at least 1 KiB).
 *
 * @example
 * parseSize('10mb') // 10485760
 */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!match) throw new Error(`must be bytes or a size like 512kb or 10mb, got "${text}"`);
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(match[1]) * factor;
  if (bytes < 1024) throw new Error(`must be at least 1kb, got "${text}"`);
  return bytes;
}
