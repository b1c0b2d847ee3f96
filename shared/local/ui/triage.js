// The triage view: counts that filter, what needs action now first, filters kept in the address, every
// finding reachable page by page (a page is never cut short silently), suppress and re-open in place.
/* global RW */
(() => {
  const el = RW.el;
  const SEVERITIES = RW.SEVERITIES;
  const URGENT = ['critical', 'high'];
  const FILTERS = ['severity', 'status', 'rule', 'role', 'account', 'since', 'until', 'control', 'sort', 'group', 'limit'];
  const DAY = 86400000;
  const form = document.getElementById('filters');
  const container = document.getElementById('findings');
  let summary = RW.getJson('/summary');
  const state = { filters: {}, pages: [], at: 0 };
  const started = {};

  /**
   * Marks the start of a load of `part`; the function it returns says whether that load is still the latest:
   * a newer one (filters changed, another page asked for) wins over one still in flight.
   */
  function latest(part) {
    started[part] = (started[part] || 0) + 1;
    const mine = started[part];
    return () => started[part] === mine;
  }

  // Filters <-> address ---------------------------------------------------------------------------------

  function readAddress() {
    const params = new URLSearchParams(location.search);
    const filters = {};
    FILTERS.forEach((name) => {
      const value = params.get(name);
      if (value) filters[name] = value;
    });
    filters.status = filters.status || 'open';
    filters.sort = filters.sort === 'time' ? 'time' : 'risk';
    filters.limit = ['50', '100', '200'].indexOf(filters.limit) >= 0 ? filters.limit : '200';
    return filters;
  }

  function writeAddress(filters) {
    const params = new URLSearchParams();
    FILTERS.forEach((name) => {
      if (filters[name]) params.set(name, filters[name]);
    });
    history.replaceState(null, '', `/ui/?${params.toString()}`);
  }

  function selectedSeverities(filters) {
    const wanted = (filters.severity || '').split(',').filter((s) => SEVERITIES.indexOf(s) >= 0);
    return wanted.length > 0 ? SEVERITIES.filter((s) => wanted.indexOf(s) >= 0) : SEVERITIES.slice();
  }

  function fillForm(filters) {
    const severities = selectedSeverities(filters);
    form.querySelectorAll('input[name="sev"]').forEach((box) => {
      box.checked = severities.indexOf(box.value) >= 0;
    });
    ['status', 'rule', 'role', 'account', 'since', 'until', 'control', 'sort', 'limit'].forEach((name) => {
      const field = form.elements.namedItem(name);
      if (!field) return;
      if (field.tagName === 'SELECT' && filters[name] && !Array.from(field.options).some((o) => o.value === filters[name]))
        field.appendChild(el('option', { value: filters[name] }, [filters[name]]));
      field.value = filters[name] || '';
    });
    form.elements.namedItem('group').checked = filters.group === 'role';
  }

  function formFilters() {
    const filters = {};
    const severities = Array.from(form.querySelectorAll('input[name="sev"]:checked')).map((box) => box.value);
    if (severities.length > 0 && severities.length < SEVERITIES.length) filters.severity = severities.join(',');
    ['status', 'rule', 'role', 'account', 'since', 'until', 'control', 'sort', 'limit'].forEach((name) => {
      const value = String(form.elements.namedItem(name).value || '').trim();
      if (value) filters[name] = value;
    });
    if (form.elements.namedItem('group').checked) filters.group = 'role';
    return filters;
  }

  // Paging --------------------------------------------------------------------------------------------

  /**
   * The lists a view reads, in order: by risk, one per severity (critical first), each newest first; by
   * time, one list of every selected severity. A page is filled from them in order, following cursors.
   */
  function queriesOf(filters) {
    const base = new URLSearchParams();
    base.set('status', filters.status);
    ['rule', 'control', 'role', 'account', 'since', 'until'].forEach((name) => {
      if (filters[name]) base.set(name, filters[name]);
    });
    const severities = selectedSeverities(filters);
    const groups = filters.sort === 'time' ? [severities] : severities.map((s) => [s]);
    return groups.map((group) => {
      const params = new URLSearchParams(base);
      params.set('severity', group.join(','));
      return `/findings?${params.toString()}`;
    });
  }

  /** One page from position `from` ({query, cursor}): its findings and where the next page starts (null at the end). */
  function readPage(queries, from, limit) {
    const items = [];
    const step = (position) => {
      if (position.query >= queries.length) return Promise.resolve({ items, next: null });
      if (items.length >= limit) return Promise.resolve({ items, next: position });
      let path = `${queries[position.query]}&limit=${limit - items.length}`;
      if (position.cursor) path += `&cursor=${encodeURIComponent(position.cursor)}`;
      return RW.getJson(path).then((page) => {
        items.push(...page.items);
        return step(page.cursor ? { query: position.query, cursor: page.cursor } : { query: position.query + 1, cursor: null });
      });
    };
    return step(from).then((page) => {
      // A full page whose position is past the last list has no next page.
      if (page.next && page.next.query >= queries.length) page.next = null;
      return page;
    });
  }

  function load() {
    const filters = state.filters;
    const queries = queriesOf(filters);
    const limit = Number(filters.limit);
    const from = state.pages[state.at];
    const current = latest('findings');
    RW.clear(container).appendChild(el('p', { class: 'muted' }, ['Loading…']));
    readPage(queries, from, limit)
      .then((page) => {
        if (!current()) return undefined;
        // The page after this one has not been read yet: a Next press reads it.
        state.pages = state.pages.slice(0, state.at + 1);
        if (page.next) state.pages.push(page.next);
        RW.clear(container).appendChild(findingsTable(page.items, filters));
        return RW.session.then((session) => showPager(page.items.length, limit, Boolean(page.next), session));
      })
      .catch((error) => {
        if (!current()) return;
        RW.clear(container);
        RW.showError(container, error);
      });
  }

  function showPager(count, limit, more, _session) {
    const first = state.at * limit + 1;
    const position = document.getElementById('position');
    position.textContent =
      count === 0
        ? state.at === 0
          ? 'No finding matches.'
          : 'No more findings.'
        : `Findings ${first}–${first + count - 1}${more ? ', more follow' : ' (the end)'}`;
    document.getElementById('prev').disabled = state.at === 0;
    document.getElementById('next').disabled = !more;
  }

  // The table -----------------------------------------------------------------------------------------

  function isUrgent(finding) {
    return finding.status === 'open' && URGENT.indexOf(finding.severity) >= 0;
  }

  function roleKey(finding) {
    return `${finding.account}|${finding.roleName || finding.resourceName || finding.resource}`;
  }

  function findingsTable(findings, filters) {
    const head = el('thead', {}, [
      el('tr', {}, [
        el('th', { scope: 'col' }, ['Severity']),
        el('th', { scope: 'col' }, ['Rule']),
        el('th', { scope: 'col' }, ['Role / resource']),
        el('th', { scope: 'col' }, ['Detail']),
        el('th', { scope: 'col' }, ['Opened']),
        el('th', { scope: 'col' }, ['Last seen']),
        el('th', { scope: 'col' }, ['Status']),
      ]),
    ]);
    const body = el('tbody', {}, []);
    if (findings.length === 0) body.appendChild(el('tr', {}, [el('td', { colspan: 7, class: 'muted' }, ['None.'])]));
    if (filters.group === 'role') {
      groupsOf(findings).forEach((group) => {
        body.appendChild(groupRow(group));
        group.findings.forEach((finding) => {
          appendFinding(body, finding);
        });
      });
    } else {
      let section = null;
      findings.forEach((finding) => {
        const urgent = isUrgent(finding);
        if (filters.sort === 'risk' && urgent !== section) {
          section = urgent;
          body.appendChild(sectionRow(urgent ? 'Needs action now: open, critical or high' : 'Then'));
        }
        appendFinding(body, finding);
      });
    }
    return el('table', { class: 'findings' }, [head, body]);
  }

  function sectionRow(text) {
    return el('tr', { class: 'section' }, [el('th', { colspan: 7, scope: 'rowgroup' }, [text])]);
  }

  /** The page's findings by role, the roles ordered by their highest severity, then their newest finding. */
  function groupsOf(findings) {
    const groups = new Map();
    findings.forEach((finding) => {
      const key = roleKey(finding);
      if (!groups.has(key)) groups.set(key, { finding, findings: [] });
      groups.get(key).findings.push(finding);
    });
    const rank = (group) => Math.min(...group.findings.map((f) => SEVERITIES.indexOf(f.severity)));
    const newest = (group) => group.findings.reduce((at, f) => (f.openedAt > at ? f.openedAt : at), '');
    return Array.from(groups.values()).sort((a, b) => rank(a) - rank(b) || (newest(a) < newest(b) ? 1 : -1));
  }

  function groupRow(group) {
    const f = group.finding;
    const highest = SEVERITIES[Math.min(...group.findings.map((x) => SEVERITIES.indexOf(x.severity)))];
    const name = f.roleName ? RW.roleLink(f.roleName, f.account) : el('span', {}, [f.resourceName || f.resource]);
    return el('tr', { class: 'group', 'data-role': f.roleName || f.resource }, [
      el('th', { colspan: 7, scope: 'rowgroup' }, [
        RW.severityLabel(highest),
        ' ',
        name,
        el('span', { class: 'muted' }, [` ${f.account} · ${group.findings.length} on this page`]),
      ]),
    ]);
  }

  function appendFinding(body, finding) {
    const row = findingRow(finding);
    body.appendChild(row);
    row.querySelector('button.expand').addEventListener('click', () => toggleDetail(row, finding));
  }

  function findingRow(f) {
    const resource = f.roleName
      ? el('span', {}, [RW.roleLink(f.roleName, f.account), el('span', { class: 'muted account' }, [f.account])])
      : el('span', {}, [f.resourceName || f.resource, el('span', { class: 'muted account' }, [f.account])]);
    return el('tr', { 'data-finding': f.id, 'data-rule': f.ruleId, class: isUrgent(f) ? 'urgent' : '' }, [
      el('td', { class: 'nowrap' }, [RW.severityLabel(f.severity)]),
      el('td', {}, [el('div', {}, [f.title]), el('code', { class: 'muted' }, [f.ruleId])]),
      el('td', {}, [resource]),
      el('td', {}, [
        el('button', { type: 'button', class: 'expand', 'aria-expanded': 'false', title: 'Details and actions' }, ['▸']),
        ' ',
        f.detail,
        RW.controls(f),
      ]),
      el('td', { class: 'nowrap' }, [RW.timeCell(f.openedAt)]),
      el('td', { class: 'nowrap' }, [
        RW.timeCell(f.lastSeen),
        f.count > 1 ? el('span', { class: 'muted' }, [` ×${f.count}`]) : null,
      ]),
      el('td', { class: 'nowrap' }, [statusOf(f)]),
    ]);
  }

  function statusOf(f) {
    if (f.status === 'suppressed' && f.suppression)
      return el('span', { class: 'status suppressed', title: `${f.suppression.by}: ${f.suppression.reason}` }, [
        `suppressed by ${f.suppression.by}`,
      ]);
    return el('span', { class: `status ${f.status}` }, [f.status]);
  }

  function toggleDetail(row, finding) {
    const button = row.querySelector('button.expand');
    const next = row.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      button.setAttribute('aria-expanded', 'false');
      button.textContent = '▸';
      return;
    }
    button.setAttribute('aria-expanded', 'true');
    button.textContent = '▾';
    const cell = el('td', { colspan: 7 }, []);
    row.after(el('tr', { class: 'detail', 'data-detail': finding.id }, [cell]));
    RW.session.then((session) => fillDetail(cell, row, finding, session));
  }

  function fillDetail(cell, row, f, session) {
    RW.clear(cell);
    const facts = [
      ['Why it matters', f.rationale],
      ['What to do', f.remediation],
      f.event
        ? [
            'Event',
            `${f.event.eventName} at ${RW.time(f.event.eventTime)} in ${f.event.region}` +
              (f.event.actor ? ` by ${f.event.actor}` : '') +
              (f.event.sourceIp ? ` from ${f.event.sourceIp}` : ''),
          ]
        : null,
      ['Seen', `first ${RW.time(f.firstSeen)}, last ${RW.time(f.lastSeen)}, ${f.count} time${f.count === 1 ? '' : 's'}`],
      f.resolvedAt ? ['Resolved', `${RW.time(f.resolvedAt)}${f.resolution ? `: ${f.resolution}` : ''}`] : null,
      f.suppression
        ? [
            'Suppressed',
            `by ${f.suppression.by}: “${f.suppression.reason}”${f.suppression.until ? ` until ${f.suppression.until}` : ''}`,
          ]
        : null,
      Array.isArray(f.controls) && f.controls.length > 0 ? ['Compliance', f.controls.join(', ')] : null,
      ['Alert', f.alert ? `${f.alert.state}${f.alert.sentAt ? ` ${RW.time(f.alert.sentAt)}` : ''}` : 'none'],
      ['Finding', f.id],
    ].filter(Boolean);
    cell.appendChild(
      el(
        'dl',
        { class: 'facts' },
        facts.flatMap(([term, value]) => [el('dt', {}, [term]), el('dd', {}, [value])]),
      ),
    );
    if (f.diff && f.diff.length > 0) cell.appendChild(RW.diffBlock(f.diff));
    if (f.evidence) cell.appendChild(el('pre', { class: 'policy' }, [JSON.stringify(f.evidence, null, 2)]));
    cell.appendChild(actions(f, row, cell, session));
  }

  function actions(f, row, cell, session) {
    if (!session.writable)
      return el('p', { class: 'muted' }, ['Read-only: start rolewatch ui with --allow-writes to suppress or re-open.']);
    const done = (updated) => {
      const fresh = findingRow(updated);
      row.replaceWith(fresh);
      fresh.querySelector('button.expand').addEventListener('click', () => toggleDetail(fresh, updated));
      fresh.querySelector('button.expand').textContent = '▾';
      fresh.querySelector('button.expand').setAttribute('aria-expanded', 'true');
      fillDetail(cell, fresh, updated, session);
      refreshCounts();
    };
    const message = el('p', { class: 'error', role: 'alert' }, []);
    const fail = (error) => {
      message.textContent = String(error.message || error);
    };
    if (f.status === 'open') {
      const reason = el(
        'input',
        { name: 'reason', required: true, maxlength: 1000, size: 40, placeholder: 'why this is accepted' },
        [],
      );
      const until = el('input', { name: 'until', type: 'date', min: new Date().toISOString().slice(0, 10) }, []);
      const suppress = el('form', { class: 'act suppress' }, [
        el('label', {}, ['Reason ', reason]),
        el('label', {}, ['until (optional) ', until]),
        el('button', { type: 'submit' }, ['Suppress']),
        message,
      ]);
      suppress.addEventListener('submit', (event) => {
        event.preventDefault();
        const body = { reason: reason.value };
        if (until.value) body.until = until.value;
        RW.postJson(`/findings/${encodeURIComponent(f.id)}/suppress`, body).then(done, fail);
      });
      return suppress;
    }
    const reopen = el('button', { type: 'button', class: 'reopen' }, ['Re-open']);
    reopen.addEventListener('click', () => RW.postJson(`/findings/${encodeURIComponent(f.id)}/reopen`).then(done, fail));
    return el('div', { class: 'act' }, [reopen, message]);
  }

  // Counts and the picture of time --------------------------------------------------------------------

  function refreshCounts() {
    summary = RW.getJson('/summary');
    showCounts();
  }

  function showCounts() {
    const counts = document.getElementById('counts');
    const current = latest('counts');
    summary
      .then((s) => {
        if (!current()) return;
        RW.clear(counts);
        const status = state.filters.status;
        const statuses = status.split(',');
        const count = (severity) => statuses.reduce((sum, name) => sum + ((s.byStatus[name] || {})[severity] || 0), 0);
        const urgent = (s.byStatus.open.critical || 0) + (s.byStatus.open.high || 0);
        const now = el(
          'button',
          { type: 'button', class: `count urgent${urgent === 0 ? ' none' : ''}`, 'data-count': 'urgent' },
          [el('strong', {}, [String(urgent)]), el('span', {}, ['need action now'])],
        );
        now.addEventListener('click', () => apply({ status: 'open', severity: URGENT.join(','), sort: 'risk' }));
        counts.appendChild(now);
        const chosen = selectedSeverities(state.filters);
        SEVERITIES.forEach((severity) => {
          const only = chosen.length === 1 && chosen[0] === severity;
          const button = el(
            'button',
            { type: 'button', class: `count ${severity}${only ? ' active' : ''}`, 'data-count': severity, 'aria-pressed': only },
            [
              el('strong', {}, [String(count(severity))]),
              el('span', {}, [`${severity} ${status.indexOf(',') < 0 ? status : ''}`]),
            ],
          );
          button.addEventListener('click', () => apply(Object.assign({}, state.filters, { severity: only ? '' : severity })));
          counts.appendChild(button);
        });
        fillChoices(s);
      })
      .catch((error) => RW.showError(counts, error));
  }

  function fillChoices(s) {
    const rule = form.elements.namedItem('rule');
    const account = form.elements.namedItem('account');
    if (rule.options.length <= 1)
      s.byRule.forEach((r) => {
        rule.appendChild(el('option', { value: r.ruleId }, [`${r.title} (${r.open} open)`]));
      });
    if (account.options.length <= 1)
      s.accounts.forEach((a) => {
        account.appendChild(el('option', { value: a }, [a]));
      });
    fillForm(state.filters);
  }

  function showPerDay() {
    const target = RW.clear(document.getElementById('per-day'));
    const current = latest('per-day');
    summary
      .then((s) => {
        const end = state.filters.until
          ? Date.parse(state.filters.until)
          : s.lastEventSeen
            ? Date.parse(s.lastEventSeen.at)
            : Date.now();
        let start = state.filters.since ? Date.parse(state.filters.since) : end - 13 * DAY;
        if (end - start > 365 * DAY) start = end - 365 * DAY;
        const day = (ms) => new Date(ms).toISOString().slice(0, 10);
        const params = new URLSearchParams({ since: day(start), until: day(end) });
        if (state.filters.account) params.set('account', state.filters.account);
        document.getElementById('chart-range').textContent = `${day(start)} to ${day(end)}, by severity`;
        return RW.getJson(`/findings/daily?${params.toString()}`);
      })
      .then((daily) => {
        if (current()) target.appendChild(chart(daily.days));
      })
      .catch((error) => RW.showError(target, error));
  }

  function chart(days) {
    const width = 560;
    const height = 120;
    const left = 28;
    const bottom = 18;
    const totals = days.map((d) => SEVERITIES.reduce((sum, s) => sum + d.bySeverity[s], 0));
    const max = Math.max(1, ...totals);
    const step = (width - left) / Math.max(1, days.length);
    const bar = Math.max(2, step * 0.8);
    const scale = (height - bottom - 6) / max;
    const nodes = [
      RW.svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis' }),
      RW.svg('text', { x: left - 4, y: 10, class: 'tick', 'text-anchor': 'end' }, [String(max)]),
      RW.svg('text', { x: left - 4, y: height - bottom, class: 'tick', 'text-anchor': 'end' }, ['0']),
    ];
    days.forEach((d, i) => {
      const x = left + i * step + (step - bar) / 2;
      let y = height - bottom;
      const group = RW.svg('g', { class: 'day', 'data-day': d.day, tabindex: 0, role: 'button' }, [
        RW.svg('title', {}, [`${d.day}: ${SEVERITIES.map((s) => `${d.bySeverity[s]} ${s}`).join(', ')}`]),
        RW.svg('rect', { x: x - (step - bar) / 2, y: 0, width: step, height: height - bottom, class: 'hit' }),
      ]);
      SEVERITIES.slice()
        .reverse()
        .forEach((s) => {
          const h = d.bySeverity[s] * scale;
          if (h <= 0) return;
          y -= h;
          group.appendChild(RW.svg('rect', { x, y, width: bar, height: h, class: `bar ${s}` }));
        });
      group.addEventListener('click', () =>
        apply(Object.assign({}, state.filters, { since: d.day, until: d.day, status: 'open,suppressed,resolved' })),
      );
      nodes.push(group);
      const every = Math.ceil(days.length / 6);
      if ((i % every === 0 && days.length - 1 - i >= every / 2) || i === days.length - 1)
        nodes.push(
          RW.svg(
            'text',
            { x: x + bar / 2, y: height - 4, class: 'tick', 'text-anchor': i === days.length - 1 ? 'end' : 'middle' },
            [d.day.slice(5)],
          ),
        );
    });
    const legend = el(
      'p',
      { class: 'legend' },
      SEVERITIES.map((s) => el('span', { class: `key ${s}` }, [s])),
    );
    return el('div', {}, [
      RW.svg(
        'svg',
        { viewBox: `0 0 ${width} ${height}`, class: 'perday', role: 'img', 'aria-label': 'Findings opened per day' },
        nodes,
      ),
      legend,
    ]);
  }

  // Wiring --------------------------------------------------------------------------------------------

  function apply(filters) {
    state.filters = Object.assign({ status: 'open', sort: 'risk', limit: '200' }, filters);
    Object.keys(state.filters).forEach((name) => {
      if (!state.filters[name]) delete state.filters[name];
    });
    state.filters.status = state.filters.status || 'open';
    state.filters.sort = state.filters.sort || 'risk';
    state.filters.limit = state.filters.limit || '200';
    state.pages = [{ query: 0, cursor: null }];
    state.at = 0;
    writeAddress(state.filters);
    fillForm(state.filters);
    showCounts();
    showPerDay();
    load();
  }

  const severityBoxes = form.querySelector('fieldset.severities');
  SEVERITIES.forEach((severity) => {
    severityBoxes.appendChild(
      el('label', { class: `check sev ${severity}` }, [
        el('input', { type: 'checkbox', name: 'sev', value: severity }, []),
        ` ${severity}`,
      ]),
    );
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(formFilters());
  });
  form.addEventListener('change', (event) => {
    if (event.target.tagName === 'SELECT' || event.target.type === 'checkbox') apply(formFilters());
  });
  document.getElementById('reset').addEventListener('click', () => apply({}));
  document.getElementById('next').addEventListener('click', () => {
    if (state.at + 1 < state.pages.length) {
      state.at += 1;
      load();
      window.scrollTo(0, container.offsetTop);
    }
  });
  document.getElementById('prev').addEventListener('click', () => {
    if (state.at > 0) {
      state.at -= 1;
      load();
    }
  });
  RW.showSource();
  apply(readAddress());
})();
