// What a script can check of WCAG on a page: the document language, one h1 and headings in
// order, a label for every control, alt on every image, link texts, header cells with a scope,
// a skip link, and text contrast of at least 4.5:1 against the (composited) background behind
// it. Returns the problems found, as texts.
() => {
  const problems = [];
  if (!document.documentElement.getAttribute('lang')) problems.push('html has no lang');
  const h1 = document.querySelectorAll('h1');
  if (h1.length !== 1) problems.push(`${h1.length} h1 elements`);
  let previous = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) problems.push(`${h.tagName} after h${previous}: ${h.textContent.trim()}`);
    previous = level;
  }
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`${el.tagName.toLowerCase()} ${el.name} has no label`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img ${img.getAttribute('src')} has no alt`);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (!(a.textContent.trim() || a.getAttribute('aria-label'))) problems.push(`link ${a.getAttribute('href')} has no text`);
  }
  for (const th of document.querySelectorAll('th')) {
    if (!th.hasAttribute('scope')) problems.push(`th without scope: ${th.textContent.trim()}`);
  }
  if (!document.querySelector('a[href="#main"]') || !document.getElementById('main')) problems.push('no skip link to #main');
  if (!document.querySelector('meta[name=viewport]')) problems.push('no viewport meta');

  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;  // a gradient: not checked here
      const colour = rgba(style.backgroundColor);
      if (colour && colour[3] > 0) layers.push(colour);
      if (colour && colour[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!text.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width <= 1 || box.height <= 1) continue;
    const back = background(el);
    const fore = rgba(style.color);
    if (!back || !fore) continue;
    const colour = over(fore, back);
    const [l1, l2] = [luminance(colour), luminance(back)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 for "${text.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}
