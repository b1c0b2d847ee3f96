// Access graphs drawn with Cytoscape.js (served from the installed package, never a CDN). Principals are
// merged by what they designate: `AWS:arn:aws:iam::X:root`, `AWS:X` and a caller seen as account X are one
// node. Labels are drawn on a canvas, never parsed as HTML.
/* global RW, cytoscape */
// biome-ignore lint/correctness/noUnusedVariables: the page scripts use it
const RWGraph = (() => {
  const COLUMN = 440;
  const ROW = 64;

  /** The node a trusted principal (`AWS:…`, `Service:…`, `Federated:…`, `*`) stands for. */
  function trustedKey(principal) {
    if (principal === '*') return 'any';
    const colon = principal.indexOf(':');
    const type = principal.slice(0, colon);
    const value = principal.slice(colon + 1);
    if (type === 'AWS') return awsKey(value);
    return `${type.toLowerCase()}:${value.toLowerCase()}`;
  }

  /** The node an observed source stands for. */
  function observedKey(o) {
    if (o.sourceType === 'aws') return awsKey(o.source);
    if (o.sourceType === 'service') return `service:${o.source.toLowerCase()}`;
    return `${o.sourceType}:${o.source}`;
  }

  function awsKey(value) {
    if (/^\d{12}$/.test(value)) return `account:${value}`;
    const root = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(value);
    return root ? `account:${root[1]}` : value;
  }

  /** `abc…xyz` when longer than `max`. */
  function shorten(text, max) {
    if (text.length <= max) return text;
    const half = Math.floor((max - 1) / 2);
    return `${text.slice(0, half)}…${text.slice(text.length - half)}`;
  }

  /** An OIDC or SAML provider as its host or name (`arn:…:oidc-provider/HOST` → HOST). */
  function providerName(value) {
    const match = /:(?:oidc|saml)-provider\/(.+)$/.exec(value);
    return match ? match[1] : value;
  }

  /** A short name for a node, two lines at most: `account 4444…`, a role's name and account, a service. */
  function labelOf(key) {
    const line = (text) => shorten(text, 36);
    if (key === 'any') return 'anyone (*)';
    if (key.indexOf('account:') === 0) return `account ${key.slice(8)}`;
    const arn = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(user|role|assumed-role)\/(?:.*\/)?([^/]+)$/.exec(key);
    if (arn) return `${arn[2] === 'user' ? 'user' : 'role'} ${line(arn[3])}\n${arn[1]}`;
    if (key.indexOf('service:') === 0) return `service\n${line(key.slice(8))}`;
    if (key.indexOf('federated:') === 0) return `identity provider\n${line(providerName(key.slice(10)))}`;
    const federated = /^(web-identity|saml):(.*)$/.exec(key);
    if (federated) {
      // `<provider>:<subject>`: an ARN provider carries colons of its own, up to its resource part.
      const rest = federated[2];
      const split = rest.indexOf('provider/') >= 0 ? rest.indexOf(':', rest.indexOf('provider/')) : rest.indexOf(':');
      const provider = split > 0 ? providerName(rest.slice(0, split)) : rest;
      const subject = split > 0 ? rest.slice(split + 1) : '';
      return `${line(provider)}\n${line(subject)}`;
    }
    return line(key);
  }

  /** A role node's label: its name, account, and admin-capable when it is. */
  function roleLabel(role) {
    return `${shorten(role.roleName, 36)}\n${role.account}${role.reach.adminCapable ? ' · admin-capable' : ''}`;
  }

  function marksOf(entry) {
    const marks = [];
    if (entry.unknown) marks.push('unknown');
    if (entry.foreign) marks.push('foreign');
    if (entry.new) marks.push('new');
    if (entry.privileged) marks.push('privileged');
    return marks;
  }

  /** A graph model: nodes by key (column 0 principals, 1 roles, 2 what roles reach) and edges. */
  function model() {
    const nodes = new Map();
    const edges = [];
    return {
      nodes,
      edges,
      node(key, column, label, classes, data) {
        let node = nodes.get(key);
        if (!node) {
          node = { key, column, label, classes: new Set(), data: data || {} };
          nodes.set(key, node);
        }
        (classes || []).forEach((c) => {
          node.classes.add(c);
        });
        return node;
      },
      edge(from, to, label, classes) {
        edges.push({ from, to, label, classes });
      },
    };
  }

  /** Nodes of each column stacked and centred on the tallest column. */
  function positions(graph) {
    const columns = [[], [], []];
    graph.nodes.forEach((node) => {
      columns[node.column].push(node);
    });
    const tallest = Math.max(...columns.map((c) => c.length));
    const at = new Map();
    columns.forEach((column, x) => {
      const offset = ((tallest - column.length) * ROW) / 2;
      column.forEach((node, y) => {
        at.set(node.key, { x: x * COLUMN, y: offset + y * ROW });
      });
    });
    return at;
  }

  const STYLE = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: 250,
        height: 44,
        'background-color': '#f4f6f8',
        'border-width': 1,
        'border-color': '#9aa5b1',
        label: 'data(label)',
        'text-wrap': 'wrap',
        'text-max-width': 240,
        'text-valign': 'center',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: '#1f2933',
      },
    },
    { selector: 'node.role', style: { 'background-color': '#243b53', color: '#ffffff', 'border-color': '#102a43' } },
    { selector: 'node.admin', style: { 'border-width': 4, 'border-color': '#c0392b' } },
    { selector: 'node.foreign', style: { 'border-width': 3, 'border-color': '#d35400' } },
    { selector: 'node.unknown', style: { 'background-color': '#fdecea', 'border-color': '#b02a37', 'border-width': 3 } },
    { selector: 'node.any', style: { 'background-color': '#b02a37', color: '#ffffff' } },
    { selector: 'node.privileged', style: { 'border-style': 'double', 'border-width': 5, 'border-color': '#6b3fa0' } },
    { selector: 'node.reach', style: { 'background-color': '#fff8e6', 'border-color': '#c9a227' } },
    { selector: 'node.reach.admin', style: { 'background-color': '#fdecea', 'border-color': '#c0392b' } },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'curve-style': 'bezier',
        'control-point-step-size': 56,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        label: 'data(label)',
        'font-size': 10,
        'font-family': 'system-ui, sans-serif',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.9,
        'text-background-padding': 2,
        'text-rotation': 'none',
        color: '#334e68',
      },
    },
    { selector: 'edge.trust', style: { 'line-style': 'dashed', 'line-color': '#7b8794', 'target-arrow-color': '#7b8794' } },
    { selector: 'edge.used', style: { width: 3, 'line-color': '#2166ac', 'target-arrow-color': '#2166ac' } },
    { selector: 'edge.untrusted', style: { 'line-color': '#b02a37', 'target-arrow-color': '#b02a37' } },
    { selector: 'edge.reach', style: { 'line-color': '#c9a227', 'target-arrow-color': '#c9a227' } },
    { selector: 'edge.reach.admin', style: { 'line-color': '#c0392b', 'target-arrow-color': '#c0392b', width: 2.5 } },
  ];

  /** Draws a model into `container`; nodes with `data.href` open it when tapped. */
  function draw(container, graph) {
    RW.clear(container);
    if (typeof cytoscape !== 'function') {
      RW.showError(container, 'the graph library did not load');
      return undefined;
    }
    const at = positions(graph);
    const ids = new Map();
    const elements = [];
    graph.nodes.forEach((node) => {
      const id = `n${ids.size}`;
      ids.set(node.key, id);
      elements.push({
        group: 'nodes',
        data: Object.assign({ id, label: RW.visibleLines(node.label), key: node.key }, node.data),
        position: at.get(node.key),
        classes: Array.from(node.classes).join(' '),
      });
    });
    graph.edges.forEach((edge, i) => {
      if (!ids.has(edge.from) || !ids.has(edge.to)) return;
      elements.push({
        group: 'edges',
        data: { id: `e${i}`, source: ids.get(edge.from), target: ids.get(edge.to), label: RW.visible(edge.label || '') },
        classes: (edge.classes || []).join(' '),
      });
    });
    const height = Math.max(260, Math.min(900, Math.max(...Array.from(at.values()).map((p) => p.y)) + 120));
    container.style.height = `${height}px`;
    const cy = cytoscape({
      container,
      elements,
      style: STYLE,
      layout: { name: 'preset', fit: true, padding: 30 },
      minZoom: 0.1,
      maxZoom: 2.5,
      boxSelectionEnabled: false,
      autoungrabify: false,
    });
    cy.on('tap', 'node', (event) => {
      const href = event.target.data('href');
      if (href) location.href = href;
    });
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    return cy;
  }

  return { trustedKey, observedKey, labelOf, roleLabel, marksOf, model, draw };
})();
