/**
 * Libraries only some requests need, loaded on first use instead of at start-up: the chat
 * service never touches them, and loading them costs RSS for the life of the process
 * (measured with plain node: exceljs about +28 MB, sharp and its native libvips about +20 MB).
 * Both are CommonJS, so a synchronous require keeps the callers' signatures as they were.
 *
 *   const wb = new (excelJs().Workbook)();
 */
import { createRequire } from 'node:module';
import type ExcelJS from 'exceljs';
import type Sharp from 'sharp';

const require = createRequire(import.meta.url);

let excel: typeof ExcelJS | undefined;
let sharpFn: typeof Sharp | undefined;

/** exceljs (spreadsheet exports, XLSForm and plan imports). */
export function excelJs(): typeof ExcelJS {
  return (excel ??= require('exceljs') as typeof ExcelJS);
}

/** sharp (resizing photos uploaded in the workspace). */
export function sharp(): typeof Sharp {
  return (sharpFn ??= require('sharp') as typeof Sharp);
}
