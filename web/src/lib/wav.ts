// Browsers record webm/ogg (MediaRecorder); the API takes MP3 or WAV. A recording is decoded
// (AudioContext) and written as 16-bit PCM WAV, mono, before upload.

/** 16-bit PCM WAV of mono samples in [-1, 1] (values beyond are clipped). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(44 + samples.length * 2));
  const v = new DataView(bytes.buffer);
  const ascii = (off: number, s: string) => [...s].forEach((c, i) => v.setUint8(off + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i += 1) {
    const x = Math.max(-1, Math.min(1, samples[i] ?? 0));
    v.setInt16(44 + i * 2, x < 0 ? x * 0x8000 : x * 0x7fff, true);
  }
  return bytes;
}

/** Mixes channels down to mono. */
export function mixDown(channels: Float32Array[]): Float32Array {
  if (channels.length === 1 && channels[0]) return channels[0];
  const out = new Float32Array(channels[0]?.length ?? 0);
  for (const ch of channels) for (let i = 0; i < out.length; i += 1) out[i] = (out[i] ?? 0) + (ch[i] ?? 0) / channels.length;
  return out;
}

/** Decodes a recorded blob (webm/ogg) and re-encodes it as WAV. Telephony wants 8 kHz; 16 kHz keeps it small and clear. */
export async function recordingToWav(blob: Blob, rate = 16000): Promise<Blob> {
  const buf = await blob.arrayBuffer();
  const ctx = new OfflineAudioContext(1, 1, rate);
  const decoded = await ctx.decodeAudioData(buf);
  const length = Math.ceil(decoded.duration * rate);
  const render = new OfflineAudioContext(1, Math.max(1, length), rate);
  const src = render.createBufferSource();
  src.buffer = decoded;
  src.connect(render.destination);
  src.start();
  const out = await render.startRendering();
  return new Blob([encodeWav(out.getChannelData(0), rate)], { type: 'audio/wav' });
}
