// The account graph: every principal a role's trust allows or that was seen assuming it, and the roles,
// read a page of roles at a time until the list ends. Filterable to the paths into admin-capable roles.
/* global RW, RWGraph */
(() => {
  const el = RW.el;
  const form = document.getElementById('graph-filters');
  const status = document.getElementById('graph-status');
  const params = new URLSearchParams(location.search);
  let views = [];
  RW.showSource();

  function paths() {
    const onlyAdmin = form.elements.namedItem('admin').checked;
    const onlyObserved = form.elements.namedItem('observed').checked;
    const list = [];
    views.forEach((view) => {
      if (onlyAdmin && !view.role.reach.adminCapable) return;
      const byKey = new Map();
      const entry = (key, marks) => {
        if (!byKey.has(key)) byKey.set(key, { key, view, marks: new Set(), trusted: [], observed: [] });
        marks.forEach((m) => {
          byKey.get(key).marks.add(m);
        });
        return byKey.get(key);
      };
      view.trusted.forEach((t) => {
        entry(RWGraph.trustedKey(t.principal), RWGraph.marksOf(t)).trusted.push(t);
      });
      view.observed.forEach((o) => {
        entry(RWGraph.observedKey(o), RWGraph.marksOf(o)).observed.push(o);
      });
      byKey.forEach((path) => {
        if (!onlyObserved || path.observed.length > 0) list.push(path);
      });
    });
    return list;
  }

  function show() {
    const list = paths();
    const graph = RWGraph.model();
    list.forEach((path) => {
      const role = path.view.role;
      const roleKey = `role:${role.arn}`;
      graph.node(roleKey, 1, RWGraph.roleLabel(role), ['role'].concat(role.reach.adminCapable ? ['admin'] : []), {
        href: RW.rolePath(role.roleName, role.account),
      });
      graph.node(path.key, 0, RWGraph.labelOf(path.key), Array.from(path.marks).concat(path.key === 'any' ? ['any'] : []));
      if (path.trusted.length > 0)
        graph.edge(path.key, roleKey, path.trusted.some((t) => t.conditions.length > 0) ? 'may (if)' : 'may', ['trust']);
      path.observed.forEach((o) => {
        const untrusted = role.trustKnown && o.trustedBy.length === 0;
        graph.edge(path.key, roleKey, `${o.count}×`, untrusted ? ['used', 'untrusted'] : ['used']);
      });
    });
    RWGraph.draw(document.getElementById('graph'), graph);
    const body = RW.clear(document.querySelector('#paths tbody'));
    list
      .slice()
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .forEach((path) => {
        const role = path.view.role;
        const seen = path.observed.reduce((sum, o) => sum + o.count, 0);
        const last = path.observed.reduce((at, o) => (o.lastSeen > at ? o.lastSeen : at), '');
        body.appendChild(
          el('tr', { 'data-principal': path.key, 'data-role': role.roleName }, [
            el('td', {}, [
              RWGraph.labelOf(path.key).replace('\n', ' '),
              ' ',
              ...Array.from(path.marks).map((m) => RW.badge(m, m)),
            ]),
            el('td', {}, [
              RW.roleLink(role.roleName, role.account),
              role.reach.adminCapable ? RW.badge('admin-capable', 'admin') : null,
            ]),
            el('td', {}, [
              path.trusted.length === 0
                ? 'no'
                : path.trusted.map((t) => (t.conditions.length > 0 ? `yes, if ${t.conditions.join(' and ')}` : 'yes')).join('; '),
            ]),
            el('td', {}, [path.observed.length === 0 ? '' : `${seen}×, last ${RW.time(last)}`]),
          ]),
        );
      });
    status.textContent = `${views.length} roles read, ${list.length} paths shown.`;
  }

  function load() {
    const account = form.elements.namedItem('account').value;
    views = [];
    status.textContent = 'Loading…';
    const path = `/access?limit=25${account ? `&account=${encodeURIComponent(account)}` : ''}`;
    RW.allPages(path, (items, pending) => {
      views = items;
      if (pending) status.textContent = `Reading roles: ${items.length} so far…`;
    })
      .then((items) => {
        views = items;
        show();
      })
      .catch((error) => {
        status.textContent = '';
        RW.showError(status, error);
      });
  }

  RW.getJson('/summary').then((summary) => {
    const select = form.elements.namedItem('account');
    summary.accounts.forEach((account) => {
      if (account === select.value) return;
      select.appendChild(el('option', { value: account }, [account]));
    });
  });
  if (/^\d{12}$/.test(params.get('account') || '')) {
    const chosen = form.elements.namedItem('account');
    chosen.appendChild(el('option', { value: params.get('account') }, [params.get('account')]));
    chosen.value = params.get('account');
  }
  form.elements.namedItem('admin').checked = params.get('admin') === '1';
  form.addEventListener('change', (event) => {
    const next = new URLSearchParams();
    if (form.elements.namedItem('account').value) next.set('account', form.elements.namedItem('account').value);
    if (form.elements.namedItem('admin').checked) next.set('admin', '1');
    history.replaceState(null, '', `/ui/graph.html?${next.toString()}`);
    if (event.target.name === 'account') load();
    else show();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  load();
})();
