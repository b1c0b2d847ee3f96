// What every page of RoleWatch's web page shares. Every value shown comes from CloudTrail or a policy
// (attacker-controlled): it is only ever set as text, never as HTML, and invisible or direction-changing
// characters are shown as escapes so that a name cannot pass for another.
// biome-ignore lint/correctness/noUnusedVariables: the other scripts of the page use it
const RW = (() => {
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  const STATUSES = ['open', 'suppressed', 'resolved'];
  /**
   * Characters that show nothing or reorder what follows: C0/C1 controls, soft hyphen, zero-width and
   * bidirectional formatting characters, line/paragraph separators, invisible operators, BOM, tag characters.
   */
  const HIDDEN_RANGES = [
    [0x0000, 0x001f],
    [0x007f, 0x009f],
    [0x00ad, 0x00ad],
    [0x061c, 0x061c],
    [0x115f, 0x1160],
    [0x180e, 0x180e],
    [0x200b, 0x200f],
    [0x2028, 0x202e],
    [0x2060, 0x206f],
    [0xfeff, 0xfeff],
    [0xfff9, 0xfffb],
    [0xe0000, 0xe007f],
  ];

  function isHidden(code) {
    return HIDDEN_RANGES.some(([low, high]) => code >= low && code <= high);
  }

  /** The text with hidden and bidi characters made visible as \u{…} escapes. */
  function visible(value) {
    if (value === undefined || value === null) return '';
    let out = '';
    for (const char of String(value)) {
      const code = char.codePointAt(0);
      out += isHidden(code) ? `\\u{${code.toString(16).padStart(4, '0')}}` : char;
    }
    return out;
  }

  /** Same, keeping line breaks (for policy documents and diffs). */
  function visibleLines(value) {
    return String(value).split('\n').map(visible).join('\n');
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => {
      const value = attributes[name];
      if (value === undefined || value === null || value === false) return;
      node.setAttribute(name, value === true ? '' : String(value));
    });
    (children || []).forEach((child) => {
      if (child === undefined || child === null || child === false) return;
      // Line breaks stay: in a <pre> they are the layout, elsewhere HTML shows them as spaces.
      node.appendChild(typeof child === 'string' ? document.createTextNode(visibleLines(child)) : child);
    });
    return node;
  }

  function svg(tag, attributes, children) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attributes || {}).forEach((name) => {
      node.setAttribute(name, String(attributes[name]));
    });
    (children || []).forEach((child) => {
      node.appendChild(typeof child === 'string' ? document.createTextNode(visible(child)) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** An API error as `HTTP 400: field reason`. */
  function failure(path, response) {
    return response
      .json()
      .catch(() => ({}))
      .then((body) => {
        const error = (body && body.error) || {};
        const reason = [error.field, error.reason].filter(Boolean).join(' ');
        throw new Error(`${path}: HTTP ${response.status}${reason ? `: ${reason}` : ''}`);
      });
  }

  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then((response) =>
      response.ok ? response.json() : failure(path, response),
    );
  }

  function postJson(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    }).then((response) => (response.ok ? response.json() : failure(path, response)));
  }

  /** Every page of a list, following its cursor (onPage sees each page as it arrives). */
  function allPages(path, onPage) {
    let items = [];
    const step = (cursor) =>
      getJson(cursor ? `${path}${path.indexOf('?') < 0 ? '?' : '&'}cursor=${encodeURIComponent(cursor)}` : path).then((page) => {
        items = items.concat(page.items);
        if (onPage) onPage(items, Boolean(page.cursor));
        return page.cursor ? step(page.cursor) : items;
      });
    return step(undefined);
  }

  const session = getJson('/ui/session.json').catch(() => ({ source: 'unknown', writable: false }));

  /** `2026-11-02 15:14:20` (UTC) from an ISO time. */
  function time(iso) {
    if (!iso) return '';
    return String(iso)
      .replace('T', ' ')
      .replace(/\.\d+Z$|Z$/, '');
  }

  /** A time in a table: the date, the clock under it. */
  function timeCell(iso) {
    const [day, clock] = time(iso).split(' ');
    return el('time', { datetime: iso, title: iso ? `${iso} (UTC)` : undefined }, [
      day || '',
      clock ? el('span', { class: 'clock' }, [clock]) : null,
    ]);
  }

  function severityLabel(severity) {
    return el('span', { class: `severity ${severity}` }, [severity]);
  }

  function rolePath(name, account) {
    return `/ui/role.html?name=${encodeURIComponent(name)}&account=${encodeURIComponent(account)}`;
  }

  function roleLink(name, account) {
    return el('a', { href: rolePath(name, account) }, [name]);
  }

  function badge(text, kind, title) {
    return el('span', { class: `badge ${kind || ''}`, title }, [text]);
  }

  /** The finding's compliance ids, the first few inline (all of them in its details). */
  function controls(f) {
    if (!Array.isArray(f.controls) || f.controls.length === 0) return null;
    const shown = f.controls.slice(0, 3).map((id) => badge(String(id), 'control'));
    const more = f.controls.length - shown.length;
    return el('div', { class: 'controls', title: f.controls.join(', ') }, [
      ...shown,
      more > 0 ? el('span', { class: 'muted' }, [`+${more} more`]) : null,
    ]);
  }

  /** The header line: where the data comes from, and whether it still comes (a failing CloudTrail watch). */
  function showSource() {
    session.then((s) => {
      const node = document.getElementById('source');
      if (node) node.textContent = `${visible(s.source)}${s.writable ? '' : ' · read-only'}`;
    });
    showWatch();
  }

  /** What the banner of a failing watch says, from /summary's `watch`; null while the watch reads CloudTrail. */
  function watchNotice(watch) {
    if (!watch || watch.status !== 'failing') return null;
    const error = watch.lastError || {};
    return (
      `Reading CloudTrail has failed since ${time(watch.failingSince)} UTC: events since then are not evaluated, ` +
      `so findings may be missing from this page. Last error (${time(error.at)} UTC, ${error.region || 'unknown region'}): ` +
      `${error.message || 'unknown'}`
    );
  }

  /**
   * `npm start -- --watch` reads CloudTrail every minute; when that fails (credentials expired, throttling), a
   * banner says so on every page: a monitor that reads nothing must not look like a quiet account. Checked
   * at load and then every minute while a watch runs; the banner goes when reads succeed again.
   */
  function showWatch() {
    const check = () =>
      getJson('/summary').then((s) => {
        const notice = watchNotice(s.watch);
        let banner = document.getElementById('watch-failing');
        if (!notice) {
          if (banner) banner.remove();
        } else {
          if (!banner) {
            banner = el('p', { id: 'watch-failing', class: 'watch-failing', role: 'alert' }, []);
            document.body.insertBefore(banner, document.querySelector('main'));
          }
          banner.textContent = visible(notice);
        }
        return Boolean(s.watch);
      });
    check().then(
      (watching) => {
        if (watching) setInterval(() => check().catch(() => undefined), 60000);
      },
      () => undefined,
    );
  }

  /** A policy diff, one line per `+`/`-` change, coloured by its kind. */
  function diffBlock(lines) {
    return el(
      'pre',
      { class: 'diff' },
      lines.map((line) => {
        const kind = line.charAt(0) === '+' ? 'added' : line.charAt(0) === '-' ? 'removed' : '';
        return el('div', { class: kind }, [line]);
      }),
    );
  }

  function showError(container, error) {
    container.appendChild(el('p', { class: 'error', role: 'alert' }, [String(error && error.message ? error.message : error)]));
  }

  return {
    SEVERITIES,
    STATUSES,
    visible,
    visibleLines,
    el,
    svg,
    clear,
    getJson,
    postJson,
    allPages,
    session,
    time,
    timeCell,
    severityLabel,
    rolePath,
    roleLink,
    badge,
    controls,
    showSource,
    watchNotice,
    showError,
    diffBlock,
  };
})();
