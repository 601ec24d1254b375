// A minimal PNG line-chart writer (no dependencies, no network): RGB raster, a 5x7 bitmap font for labels,
// zlib from Node for the IDAT stream.
import { deflateSync } from "node:zlib";

const FONT = {
  "0": "01110100011001110101110011000101110", "1": "00100011000010000100001000010001110",
  "2": "01110100010000100010001000100011111", "3": "11110000010000101110000010000111110",
  "4": "00010001100101010010111110001000010", "5": "11111100001111000001000011000101110",
  "6": "00110010001000011110100011000101110", "7": "11111000010001000100010000100001000",
  "8": "01110100011000101110100011000101110", "9": "01110100011000101111000010001001100",
  ".": "00000000000000000000000000110001100", "%": "11000110010001000100010000100110011",
  ":": "00000011000110000000011000110000000", "-": "00000000000000011111000000000000000",
  " ": "00000000000000000000000000000000000", "/": "00001000010001000100010001000010000",
  "(": "00010001000100001000010000010000010", ")": "01000001000001000010000100010001000",
  A: "01110100011000111111100011000110001", B: "11110100011000111110100011000111110", C: "01110100011000010000100001000101110",
  D: "11100100101000110001100011001011100", E: "11111100001000011110100001000011111", F: "11111100001000011110100001000010000",
  G: "01110100011000010111100011000101111", H: "10001100011000111111100011000110001", I: "01110001000010000100001000010001110",
  K: "10001100101010011000101001001010001", L: "10000100001000010000100001000011111", M: "10001110111010110101100011000110001",
  N: "10001100011100110101100111000110001", O: "01110100011000110001100011000101110", P: "11110100011000111110100001000010000",
  R: "11110100011000111110101001001010001", S: "01111100001000001110000010000111110", T: "11111001000010000100001000010000100",
  U: "10001100011000110001100011000101110", W: "10001100011000110101101011010101010", X: "10001100010101000100010101000110001",
  Y: "10001100010101000100001000010000100",
};

export function lineChartPng(panels, { width = 900, panelHeight = 170 } = {}) {
  const height = panels.length * panelHeight;
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x, y, [r, g, b]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b;
  };
  const text = (x, y, s, color = [0, 0, 0]) => {
    for (const ch of String(s).toUpperCase()) {
      const glyph = FONT[ch] ?? FONT[" "];
      for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if (glyph[row * 5 + col] === "1") set(x + col, y + row, color);
      x += 6;
    }
  };
  const line = (x0, y0, x1, y1, color) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) set(Math.round(x0 + ((x1 - x0) * s) / steps), Math.round(y0 + ((y1 - y0) * s) / steps), color);
  };
  panels.forEach((panel, index) => {
    const top = index * panelHeight + 18, bottom = (index + 1) * panelHeight - 14, left = 60, right = width - 10;
    const xs = panel.x, ys = panel.y;
    const xMax = Math.max(...xs, 1), yMax = Math.max(...ys, 1) * 1.1, yMin = 0;
    text(left, top - 14, panel.title);
    for (let x = left; x <= right; x++) set(x, bottom, [0, 0, 0]);
    for (let y = top; y <= bottom; y++) set(left, y, [0, 0, 0]);
    for (let k = 0; k <= 4; k++) {
      const y = Math.round(bottom - ((bottom - top) * k) / 4);
      for (let x = left + 1; x <= right; x += 3) set(x, y, [210, 210, 210]);
      text(2, y - 3, formatNumber(yMin + ((yMax - yMin) * k) / 4));
    }
    for (let k = 0; k <= 5; k++) {
      const x = Math.round(left + ((right - left) * k) / 5);
      text(x - 10, bottom + 4, `${Math.round((xMax * k) / 5)}S`);
    }
    if (panel.marker !== undefined) {
      const x = Math.round(left + ((right - left) * panel.marker) / xMax);
      for (let y = top; y < bottom; y += 2) set(x, y, [200, 120, 0]);
    }
    const px = (v) => left + ((right - left) * v) / xMax;
    const py = (v) => bottom - ((bottom - top) * (v - yMin)) / (yMax - yMin);
    for (let i = 1; i < xs.length; i++) line(Math.round(px(xs[i - 1])), Math.round(py(ys[i - 1])), Math.round(px(xs[i])), Math.round(py(ys[i])), panel.color ?? [30, 90, 200]);
  });
  return encodePng(width, height, pixels);
}

function formatNumber(v) {
  return v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
}

function encodePng(width, height, rgb) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0); header.writeUInt32BE(height, 4);
  header[8] = 8; header[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0)),
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  let crc = 0xffffffff;
  for (const byte of body) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return Buffer.concat([length, body, tail]);
}
