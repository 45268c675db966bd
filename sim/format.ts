/**
 * Venue number formatting and tick rules. Prices and sizes are held as integers (ticks, lots) and
 * formatted exactly, the way the venue prints them: no trailing zeros, but an integer keeps one
 * decimal (`"106217.0"`, `"0.001"`, `"12.0"`, `"2.111"`), never an exponent.
 */

/** Format the integer `units` scaled by 10^-decimals as a venue decimal string. */
export function formatScaled(units: number, decimals: number): string {
  const neg = units < 0;
  let s = String(Math.abs(Math.round(units)));
  let out: string;
  if (decimals <= 0) {
    out = s + '0'.repeat(-decimals) + '.0';
  } else {
    if (s.length <= decimals) s = '0'.repeat(decimals - s.length + 1) + s;
    const int = s.slice(0, s.length - decimals);
    let frac = s.slice(s.length - decimals);
    let end = frac.length;
    while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
    frac = frac.slice(0, end);
    out = int + '.' + (frac.length > 0 ? frac : '0');
  }
  return neg && out !== '0.0' ? '-' + out : out;
}

/** Format a float with at most `decimals` decimals, venue style (trailing zeros stripped, "x.0" kept). */
export function formatDecimal(x: number, decimals: number): string {
  return formatScaled(Math.round(x * 10 ** decimals), decimals);
}

/**
 * Tick decimals for a perp price `px` with `szDecimals`: at most 5 significant figures and at most
 * 6 − szDecimals decimals; prices of 100 000 and above are integers (integers are always valid).
 */
export function tickDecimals(px: number, szDecimals: number): number {
  const maxDec = Math.max(0, 6 - szDecimals);
  if (px >= 10_000) return 0;
  const mag = Math.floor(Math.log10(px));
  return Math.max(0, Math.min(maxDec, 4 - mag));
}

/** Is the decimal string `px` a valid perp price for `szDecimals` (venue tick rules)? */
export function isValidPerpPx(px: string, szDecimals: number): boolean {
  if (!/^\d+(\.\d+)?$/.test(px)) return false;
  const [int = '', frac0 = ''] = px.split('.');
  const frac = frac0.replace(/0+$/, '');
  if (frac.length > Math.max(0, 6 - szDecimals)) return false;
  if (frac.length === 0) return true; // integers are always valid
  const digits = (int.replace(/^0+/, '') + frac).replace(/^0+/, '');
  return digits.length <= 5;
}

/** Is `sz` a valid size string with at most `szDecimals` decimals? */
export function isValidSize(sz: string, szDecimals: number): boolean {
  if (!/^\d+(\.\d+)?$/.test(sz)) return false;
  const frac = (sz.split('.')[1] ?? '').replace(/0+$/, '');
  return frac.length <= szDecimals;
}
