// A role: who may get in (its trust) beside who did (the assumption edges), what it reaches, its open
// findings, its changes on a timeline linking to each diff, and its policies as they stand.
/* global RW, RWGraph */
(() => {
  const el = RW.el;
  const params = new URLSearchParams(location.search);
  const name = params.get('name') || '';
  const account = params.get('account') || '';
  const query = account ? `?account=${encodeURIComponent(account)}` : '';
  const base = `/roles/${encodeURIComponent(name)}`;
  document.title = `RoleWatch - ${RW.visible(name)}`;
  document.getElementById('role-name').textContent = RW.visible(name);
  RW.showSource();

  function policyText(document) {
    if (document === undefined || document === null) return '(none)';
    if (typeof document === 'string') {
      try {
        return JSON.stringify(JSON.parse(document), null, 2);
      } catch (_error) {
        return document;
      }
    }
    return JSON.stringify(document, null, 2);
  }

  /** `lastUsed` of a role, when the API gives it: a time, or an object with a time and a region. */
  function lastUsedText(lastUsed) {
    if (!lastUsed) return '';
    if (typeof lastUsed === 'string') return `last used ${RW.time(lastUsed)}`;
    const at = lastUsed.at || lastUsed.lastUsedDate || lastUsed.date;
    const region = lastUsed.region || lastUsed.lastUsedRegion;
    if (at) return `last used ${RW.time(at)}${region ? ` in ${region}` : ''}`;
    // at null: IAM reports no use in its tracking period (400 days).
    return lastUsed.at === null ? 'not used in the last 400 days (or since created)' : '';
  }

  function findingsList(findings) {
    if (findings.length === 0) return el('p', { class: 'muted' }, ['None.']);
    return el('table', { class: 'findings' }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          ['Severity', 'Rule', 'Detail', 'Opened', 'Last seen'].map((h) => el('th', { scope: 'col' }, [h])),
        ),
      ]),
      el(
        'tbody',
        {},
        findings.map((f) =>
          el('tr', { 'data-finding': f.id, 'data-rule': f.ruleId }, [
            el('td', { class: 'nowrap' }, [RW.severityLabel(f.severity)]),
            el('td', {}, [el('div', {}, [f.title]), el('code', { class: 'muted' }, [f.ruleId])]),
            el('td', {}, [f.detail, RW.controls(f)]),
            el('td', { class: 'nowrap' }, [RW.timeCell(f.openedAt)]),
            el('td', { class: 'nowrap' }, [RW.timeCell(f.lastSeen)]),
          ]),
        ),
      ),
    ]);
  }

  // The access graph ----------------------------------------------------------------------------------

  function markBadges(entry) {
    return RWGraph.marksOf(entry).map((mark) => RW.badge(mark, mark));
  }

  /**
   * How an observed source came in: `untrusted-then-used` when the trust change that let it in came before
   * its first assumption (it was not trusted before), `not-trusted` when the trust does not allow it now.
   */
  function storyOf(observed, trusted, trustKnown) {
    if (!trustKnown)
      return { kind: 'trust-unknown', text: 'the trust policy is not known (the role was not seen created or changed)' };
    if (observed.trustedBy.length === 0) return { kind: 'not-trusted', text: 'not allowed by the current trust policy' };
    const via = trusted.filter((t) => observed.trustedBy.indexOf(t.principal) >= 0);
    const added = via.filter((t) => t.addedAt && t.addedAt <= observed.firstSeen).map((t) => t.addedAt);
    if (added.length > 0 && added.length === via.length) {
      const since = added.sort()[added.length - 1];
      return {
        kind: 'untrusted-then-used',
        text: `untrusted before ${RW.time(since)}, trusted from then, first used ${RW.time(observed.firstSeen)}`,
      };
    }
    return { kind: 'trusted', text: `allowed by ${via.map((t) => t.principal).join(', ')}` };
  }

  function showAccess(access) {
    const graph = RWGraph.model();
    const role = access.role;
    const reach = role.reach;
    const roleClasses = ['role'].concat(reach.adminCapable ? ['admin'] : []);
    graph.node('role', 1, RWGraph.roleLabel(role), roleClasses);
    access.trusted.forEach((t) => {
      const key = RWGraph.trustedKey(t.principal);
      graph.node(key, 0, RWGraph.labelOf(key), RWGraph.marksOf(t).concat(t.kind === 'any' ? ['any'] : []));
      const when = t.addedAt ? ` from ${RW.time(t.addedAt).slice(5, 16)}` : '';
      graph.edge(key, 'role', `may assume${when}${t.conditions.length > 0 ? ' (if conditions)' : ''}`, ['trust']);
    });
    access.observed.forEach((o) => {
      const key = RWGraph.observedKey(o);
      const node = graph.node(key, 0, RWGraph.labelOf(key), RWGraph.marksOf(o));
      if (o.new && node.label.indexOf('NEW') < 0) node.label += ' · NEW';
      const span =
        o.firstSeen === o.lastSeen
          ? RW.time(o.firstSeen).slice(5, 16)
          : `${RW.time(o.firstSeen).slice(5, 10)}–${RW.time(o.lastSeen).slice(5, 10)}`;
      const untrusted = role.trustKnown && o.trustedBy.length === 0;
      graph.edge(key, 'role', `assumed ${o.count}× ${span}`, untrusted ? ['used', 'untrusted'] : ['used']);
    });
    if (reach.adminCapable) {
      const through = reach.adminPolicies.map((name) => name.slice(name.lastIndexOf('/') + 1)).join(', ');
      graph.node('reach:admin', 2, `admin-capable\n${through || 'through escalation'}`, ['reach', 'admin']);
      graph.edge('role', 'reach:admin', '', ['reach', 'admin']);
    }
    if (reach.escalation.length > 0) {
      graph.node('reach:escalation', 2, `${reach.escalation.length} escalation path${reach.escalation.length === 1 ? '' : 's'}`, [
        'reach',
        'admin',
      ]);
      graph.edge('role', 'reach:escalation', '', ['reach', 'admin']);
    }
    reach.mayAssume.forEach((resource) => {
      graph.node(`assume:${resource}`, 2, `may assume\n${resource === '*' ? 'any role (*)' : resource}`, ['reach']);
      graph.edge('role', `assume:${resource}`, 'sts:AssumeRole', ['reach']);
    });
    RWGraph.draw(document.getElementById('graph'), graph);

    const trustedList = RW.clear(document.getElementById('trusted'));
    if (access.trusted.length === 0) trustedList.appendChild(el('li', { class: 'muted' }, ['Nobody (no trust policy known).']));
    access.trusted.forEach((t) => {
      trustedList.appendChild(
        el('li', { 'data-principal': RWGraph.trustedKey(t.principal), 'data-marks': RWGraph.marksOf(t).join(' ') }, [
          el('code', {}, [t.principal]),
          ' ',
          ...markBadges(t),
          t.relation && t.relation !== 'unknown' ? RW.badge(t.relation, 'relation') : null,
          t.used ? RW.badge('used', 'used') : RW.badge('never used', 'unused'),
          el('div', { class: 'muted' }, [
            [t.addedAt ? `trusted from ${RW.time(t.addedAt)}` : '', ...t.notes].filter(Boolean).join(' · '),
          ]),
          t.conditions.length > 0 ? el('div', { class: 'conditions' }, [`if ${t.conditions.join(' and ')}`]) : null,
        ]),
      );
    });
    const observedList = RW.clear(document.getElementById('observed'));
    if (access.observed.length === 0) observedList.appendChild(el('li', { class: 'muted' }, ['Nobody yet.']));
    access.observed.forEach((o) => {
      const story = storyOf(o, access.trusted, access.role.trustKnown);
      observedList.appendChild(
        el(
          'li',
          {
            'data-principal': RWGraph.observedKey(o),
            'data-marks': RWGraph.marksOf(o).join(' '),
            'data-story': story.kind,
          },
          [
            el('code', {}, [o.source]),
            ' ',
            ...markBadges(o),
            o.relation && o.relation !== 'unknown' ? RW.badge(o.relation, 'relation') : null,
            el('div', {}, [
              `${o.count}× · first ${RW.time(o.firstSeen)} · last ${RW.time(o.lastSeen)}${o.regions.length > 0 ? ` · ${o.regions.join(', ')}` : ''}`,
            ]),
            el('div', { class: `story ${story.kind}` }, [story.text]),
          ],
        ),
      );
    });
    if (access.edgesTruncated)
      observedList.appendChild(
        el('li', { class: 'muted' }, [
          'More sources assumed this role than are drawn: the whole list is GET /assumptions?role=…',
        ]),
      );
    const reachBox = RW.clear(document.getElementById('reach'));
    reachBox.appendChild(
      el('p', {}, [
        reach.adminCapable ? RW.badge('admin-capable', 'admin') : RW.badge('not admin-capable', 'relation'),
        reach.adminPolicies.length > 0 ? ` through ${reach.adminPolicies.join(', ')}` : '',
      ]),
    );
    if (reach.mayAssume.length > 0) reachBox.appendChild(el('p', {}, [`May assume: ${reach.mayAssume.join(', ')}`]));
    if (reach.escalation.length > 0) {
      const details = el('details', {}, [el('summary', {}, [`${reach.escalation.length} privilege-escalation paths`])]);
      details.appendChild(
        el(
          'ul',
          { class: 'escalation' },
          reach.escalation.map((m) => el('li', {}, [m])),
        ),
      );
      reachBox.appendChild(details);
    }
    if (reach.unreadablePolicies.length > 0)
      reachBox.appendChild(el('p', { class: 'muted' }, [`Documents unknown: ${reach.unreadablePolicies.join(', ')}`]));
  }

  // The timeline --------------------------------------------------------------------------------------

  function kindOf(eventName) {
    if (/AssumeRolePolicy|CreateRole/.test(eventName)) return 'trust';
    if (/Policy|Boundary/.test(eventName)) return 'permissions';
    if (/DeleteRole/.test(eventName)) return 'delete';
    return 'other';
  }

  /** Changes (each linking to its entry and diff below) and first assumptions on one time axis. */
  function timeline(entries, observed) {
    const marks = entries
      .map((entry, i) => ({
        at: Date.parse(entry.at),
        label: entry.eventName,
        kind: kindOf(entry.eventName),
        href: `#change-${i}`,
      }))
      .concat(
        observed.map((o) => ({
          at: Date.parse(o.firstSeen),
          label: `first assumed by ${RWGraph.labelOf(RWGraph.observedKey(o)).split('\n')[0]}`,
          kind: o.trustedBy.length === 0 || o.unknown ? 'assumed foreign' : o.foreign ? 'assumed foreign' : 'assumed',
        })),
      )
      .filter((m) => Number.isFinite(m.at))
      .sort((a, b) => a.at - b.at);
    if (marks.length === 0) return el('p', { class: 'muted' }, ['No change recorded.']);
    const width = 900;
    const left = 20;
    const right = 20;
    const lanes = 4;
    const height = 40 + lanes * 18 + 30;
    const min = marks[0].at;
    const max = marks[marks.length - 1].at;
    const span = Math.max(1, max - min);
    const x = (at) => left + ((at - min) / span) * (width - left - right);
    const axis = height - 30;
    const nodes = [
      RW.svg('line', { x1: left, y1: axis, x2: width - right, y2: axis, class: 'axis' }),
      RW.svg('text', { x: left, y: height - 8, class: 'tick' }, [RW.time(new Date(min).toISOString())]),
      RW.svg('text', { x: width - right, y: height - 8, class: 'tick', 'text-anchor': 'end' }, [
        RW.time(new Date(max).toISOString()),
      ]),
    ];
    marks.forEach((m, i) => {
      const lane = i % lanes;
      const y = 16 + lane * 18;
      const mark = RW.svg('g', { class: `mark ${m.kind}` }, [
        RW.svg('title', {}, [`${RW.time(new Date(m.at).toISOString())} ${m.label}`]),
        RW.svg('line', { x1: x(m.at), y1: y + 4, x2: x(m.at), y2: axis, class: 'stem' }),
        RW.svg('circle', { cx: x(m.at), cy: axis, r: 5 }),
        RW.svg(
          'text',
          { x: x(m.at) + (x(m.at) > width * 0.7 ? -4 : 4), y, 'text-anchor': x(m.at) > width * 0.7 ? 'end' : 'start' },
          [m.label],
        ),
      ]);
      if (m.href) {
        const link = RW.svg('a', { href: m.href, class: 'change-link' }, [mark]);
        nodes.push(link);
      } else nodes.push(mark);
    });
    return RW.svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        class: 'timeline',
        role: 'img',
        'aria-label': 'Changes and first assumptions over time',
      },
      nodes,
    );
  }

  // Loading -------------------------------------------------------------------------------------------

  const access = RW.getJson(`${base}/access${query}`);
  RW.getJson(base + query)
    .then((role) => {
      document.getElementById('role-title').textContent = RW.visible(
        `${role.arn}${role.createdAt ? ` · created ${RW.time(role.createdAt)}` : ''}${role.createdBy ? ` by ${role.createdBy}` : ''}` +
          `${role.exists === false ? ` · deleted ${RW.time(role.deletedAt)}` : role.exists === null ? ' · known only from its assumptions' : ''}`,
      );
      const used = lastUsedText(role.lastUsed);
      if (used) document.getElementById('role-marks').appendChild(RW.badge(used, 'relation'));
      document.getElementById('role-findings').appendChild(findingsList(role.openFindings || []));
      document.getElementById('trust').textContent = role.trustPolicy
        ? RW.visibleLines(policyText(role.trustPolicy.document))
        : '(unknown)';
      const policies = document.getElementById('policies');
      (role.inlinePolicies || []).forEach((policy) => {
        policies.appendChild(el('h3', {}, [`inline: ${policy.name}`]));
        policies.appendChild(el('pre', { class: 'policy' }, [policyText(policy.document)]));
      });
      (role.attachedPolicies || []).forEach((arn) => {
        policies.appendChild(el('h3', {}, [`attached: ${arn}`]));
      });
      if ((role.inlinePolicies || []).length + (role.attachedPolicies || []).length === 0)
        policies.appendChild(el('p', { class: 'muted' }, ['None.']));
      document.getElementById('boundary').textContent = RW.visible(role.permissionsBoundary || '(none)');
    })
    .catch((error) => {
      document.getElementById('role-title').textContent = String(error.message || error);
    });
  access
    .then((view) => {
      const marks = document.getElementById('role-marks');
      if (view.role.reach.adminCapable) marks.prepend(RW.badge('admin-capable', 'admin'));
      showAccess(view);
    })
    .catch((error) => RW.showError(document.getElementById('graph'), error));
  const historyPath = `${base}/history${query ? `${query}&` : '?'}limit=200`;
  const more = document.getElementById('history-more');
  Promise.all([
    RW.allPages(historyPath, (items, pending) => {
      more.textContent = pending ? `Reading the history: ${items.length} changes so far…` : '';
    }),
    access.catch(() => ({ observed: [] })),
  ])
    .then(([entries, view]) => {
      const list = document.getElementById('history');
      entries.forEach((entry, i) => {
        const item = el('li', { id: `change-${i}`, 'data-event': entry.eventId }, [
          el('strong', {}, [entry.eventName]),
          ` ${RW.time(entry.at)} by ${entry.actor || 'unknown'}: ${entry.summary}`,
        ]);
        if (entry.diff && entry.diff.length > 0) item.appendChild(RW.diffBlock(entry.diff));
        list.appendChild(item);
      });
      document.getElementById('timeline').appendChild(timeline(entries, view.observed));
    })
    .catch((error) => RW.showError(document.getElementById('timeline'), error));
})();
