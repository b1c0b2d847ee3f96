// RoleWatch's read-only local page. Every value comes from CloudTrail (attacker-controlled): it is only ever
// set as text, never as HTML.
(() => {
  var SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => {
      node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach((child) => {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then((response) => {
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json();
    });
  }

  function severityLabel(severity) {
    return el('span', { class: `severity ${severity}` }, [severity]);
  }

  function roleLink(name, account) {
    return el('a', { href: `/ui/role.html?name=${encodeURIComponent(name)}&account=${encodeURIComponent(account)}` }, [name]);
  }

  function findingsTable(findings) {
    if (findings.length === 0) return el('p', { class: 'muted' }, ['None.']);
    var rows = findings.map((f) => {
      var resource = f.roleName ? roleLink(f.roleName, f.account) : document.createTextNode(f.resourceName || f.resource);
      return el('tr', { 'data-finding': f.id }, [
        el('td', {}, [severityLabel(f.severity)]),
        el('td', {}, [f.ruleId]),
        el('td', {}, [resource]),
        el('td', {}, [f.detail]),
      ]);
    });
    return el('table', {}, [
      el('thead', {}, [
        el('tr', {}, [el('th', {}, ['Severity']), el('th', {}, ['Rule']), el('th', {}, ['Resource']), el('th', {}, ['Detail'])]),
      ]),
      el('tbody', {}, rows),
    ]);
  }

  function showIndex() {
    var container = document.getElementById('findings');
    Promise.all(SEVERITIES.map((severity) => getJson(`/findings?status=open&severity=${severity}&limit=200`)))
      .then((pages) => {
        var all = [];
        pages.forEach((page) => {
          all = all.concat(page.items);
        });
        container.appendChild(findingsTable(all));
      })
      .catch((error) => {
        container.appendChild(el('p', { class: 'error' }, [String(error)]));
      });
    getJson('/summary').then((summary) => {
      var open = (summary.open && summary.open.bySeverity) || {};
      var parts = SEVERITIES.map((s) => `${open[s] || 0} ${s}`);
      document.getElementById('summary').textContent = `Open findings: ${parts.join(', ')}`;
    });
    getJson('/roles?limit=200').then((page) => {
      var body = document.querySelector('#roles tbody');
      page.items.forEach((role) => {
        body.appendChild(
          el('tr', {}, [
            el('td', {}, [roleLink(role.roleName, role.account)]),
            el('td', {}, [role.account]),
            el('td', {}, [String(role.openFindings)]),
            el('td', {}, [role.highestOpenSeverity ? severityLabel(role.highestOpenSeverity) : '-']),
          ]),
        );
      });
    });
  }

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

  function diffBlock(lines) {
    return el(
      'pre',
      { class: 'diff' },
      lines.map((line) => {
        var kind = line.charAt(0) === '+' ? 'added' : line.charAt(0) === '-' ? 'removed' : '';
        return el('div', { class: kind }, [line]);
      }),
    );
  }

  function showRole() {
    var params = new URLSearchParams(location.search);
    var name = params.get('name') || '';
    var account = params.get('account') || '';
    var query = account ? `?account=${encodeURIComponent(account)}` : '';
    var base = `/roles/${encodeURIComponent(name)}`;
    document.title = `RoleWatch - ${name}`;
    getJson(base + query)
      .then((role) => {
        document.getElementById('role-title').textContent = role.arn + (role.createdAt ? ` (created ${role.createdAt})` : '');
        document.getElementById('role-findings').appendChild(findingsTable(role.openFindings || []));
        document.getElementById('trust').textContent = role.trustPolicy ? policyText(role.trustPolicy.document) : '(unknown)';
        var policies = document.getElementById('policies');
        (role.inlinePolicies || []).forEach((policy) => {
          policies.appendChild(el('h3', {}, [`inline: ${policy.name}`]));
          policies.appendChild(el('pre', { class: 'policy' }, [policyText(policy.document)]));
        });
        (role.attachedPolicies || []).forEach((arn) => {
          policies.appendChild(el('h3', {}, [`attached: ${arn}`]));
        });
        if ((role.inlinePolicies || []).length + (role.attachedPolicies || []).length === 0) {
          policies.appendChild(el('p', { class: 'muted' }, ['None.']));
        }
        document.getElementById('boundary').textContent = role.permissionsBoundary || '(none)';
      })
      .catch((error) => {
        document.getElementById('role-title').textContent = String(error);
      });
    getJson(`${base}/history${query ? `${query}&` : '?'}limit=100`).then((page) => {
      var list = document.getElementById('history');
      page.items.forEach((entry) => {
        var item = el('li', { 'data-event': entry.eventId }, [
          el('strong', {}, [entry.eventName]),
          ` ${entry.at} by ${entry.actor || 'unknown'}: ${entry.summary}`,
        ]);
        if (entry.diff && entry.diff.length > 0) item.appendChild(diffBlock(entry.diff));
        list.appendChild(item);
      });
    });
  }

  if (document.body.dataset.page === 'role') showRole();
  else showIndex();
})();
