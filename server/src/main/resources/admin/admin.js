// Herald admin page. Plain JavaScript, no build and no dependency: the page is small, and a bundler would add a
// toolchain to the jar's build for nothing it needs. Every value from the server goes into the page as text
// (textContent), never as HTML: tailed events and user ids are other people's data.
'use strict';

(() => {
  const TOKEN_KEY = 'herald.admin.token';
  const REFRESH_MS = 2000;
  const HISTORY_POINTS = 150; // five minutes of refreshes
  const TAIL_ROWS = 200; // the page keeps at most this many tailed events

  const $ = (id) => document.getElementById(id);
  const state = { timer: null, previous: null, latency: [], tail: null, pendingDisconnect: null };

  // --- token and API -----------------------------------------------------------------------------------------------

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, options = {}) {
    const headers = Object.assign({ Authorization: 'Bearer ' + token() }, options.headers || {});
    const res = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const err = body && body.error ? body.error : { code: 'http_' + res.status, message: res.statusText };
      if (res.status === 401) {
        logout('Token refused: ' + err.message);
      }
      throw new ApiError(res.status, err.code, err.message);
    }
    return body;
  }

  // --- log in and out ------------------------------------------------------------------------------------------------

  async function login(candidate) {
    sessionStorage.setItem(TOKEN_KEY, candidate);
    try {
      await api('/api/v1/realtime/stats?scope=cluster');
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      $('login-error').textContent = e.status === 403 ? 'That token has no admin role.' : 'Log-in failed: ' + e.message;
      return;
    }
    $('token').value = '';
    $('login-error').textContent = '';
    show(true);
  }

  function logout(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopTail();
    show(false);
    $('login-error').textContent = reason || '';
  }

  function show(loggedIn) {
    $('login-card').hidden = loggedIn;
    $('dashboard').hidden = !loggedIn;
    $('logout').hidden = !loggedIn;
    clearTimeout(state.timer);
    state.previous = null;
    state.latency = [];
    if (loggedIn) {
      refresh();
    }
  }

  // --- live figures --------------------------------------------------------------------------------------------------

  async function refresh() {
    clearTimeout(state.timer);
    if (!token()) {
      return;
    }
    try {
      const stats = await api('/api/v1/realtime/stats?scope=cluster');
      render(stats, performance.now());
      $('refresh-state').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      $('refresh-state').textContent = 'refresh failed: ' + e.message;
    }
    if (token()) {
      state.timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  const fmt = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));
  const rate = (now, before, seconds) => (before === undefined || seconds <= 0 ? null : Math.max(0, (now - before) / seconds));
  const fmtRate = (r) => (r === null ? '–' : r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString('en-US'));

  function render(s, at) {
    const prev = state.previous;
    const seconds = prev ? (at - prev.at) / 1000 : 0;
    $('served-by').textContent = 'answered by ' + s.instance;
    $('connections-total').textContent = fmt(s.connections.total);
    $('users').textContent = fmt(s.users);
    $('topics').textContent = fmt(s.topics);
    $('subscriptions').textContent = fmt(s.subscriptions);
    $('events-in').textContent = fmtRate(prev ? rate(s.events.published, prev.stats.events.published, seconds) : null);
    $('events-out').textContent = fmtRate(prev ? rate(s.events.delivered, prev.stats.events.delivered, seconds) : null);
    $('dropped').textContent = fmt(s.events.dropped);
    $('slow-closes').textContent = fmt(s.slow_consumer_closes);
    const broker = $('broker');
    broker.textContent = s.broker.type + (s.broker.connected ? ' · up' : ' · DOWN');
    broker.className = 'value ' + (s.broker.connected ? 'ok' : 'down');

    rows($('by-endpoint'), ['sync', 'realtime', 'channels', 'socketio'].map((e) => [e, fmt(s.connections[e])]), [false, true]);
    const transports = s.transports || {};
    rows($('by-transport'), ['websocket', 'polling'].map((t) => [t, fmt(transports[t])]), [false, true]);

    const before = new Map(prev ? (prev.stats.instances || []).map((i) => [i.instance, i]) : []);
    rows($('instances'), (s.instances || []).map((i) => {
      const p = before.get(i.instance);
      return [i.instance, uptime(i.uptime_s), fmt(i.connections.total),
        fmtRate(p ? rate(i.events.published, p.events.published, seconds) : null),
        fmtRate(p ? rate(i.events.delivered, p.events.delivered, seconds) : null),
        fmt(i.events.dropped), fmt(i.slow_consumer_closes),
        i.broker.type + (i.broker.connected ? ' up' : ' DOWN')];
    }), [false, true, true, true, true, true, true, false]);

    if (prev && s.delivery_latency && prev.stats.delivery_latency) {
      const window = bucketDelta(s.delivery_latency.buckets, prev.stats.delivery_latency.buckets);
      state.latency.push({
        p50: quantile(window, 0.5), p90: quantile(window, 0.9), p99: quantile(window, 0.99), n: window.total,
      });
      if (state.latency.length > HISTORY_POINTS) {
        state.latency.shift();
      }
      plotLatency();
    }
    state.previous = { stats: s, at };
  }

  function uptime(seconds) {
    if (seconds < 120) return seconds + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    if (seconds < 172800) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' d';
  }

  /** Replaces a tbody's rows; cells are text. */
  function rows(tbody, data, numeric) {
    tbody.replaceChildren(...data.map((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (numeric[i]) td.className = 'num';
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  // --- latency from the histogram ------------------------------------------------------------------------------------

  /** Per-bucket counts of one refresh window, sorted by upper bound (seconds; +Inf last). */
  function bucketDelta(now, before) {
    const bounds = Object.keys(now).map((k) => ({ key: k, le: k === '+Inf' ? Infinity : Number(k) }))
      .sort((a, b) => a.le - b.le);
    let total = 0;
    const buckets = bounds.map((b) => {
      const n = Math.max(0, (now[b.key] || 0) - ((before && before[b.key]) || 0));
      total += n;
      return { le: b.le, n };
    });
    return { buckets, total };
  }

  /** Prometheus' histogram_quantile: linear within the bucket; the largest finite bound for the +Inf bucket. */
  function quantile(window, q) {
    if (window.total === 0) return null;
    const rank = q * window.total;
    let seen = 0;
    let lower = 0;
    for (const b of window.buckets) {
      if (seen + b.n >= rank && b.n > 0) {
        if (b.le === Infinity) return lower;
        return lower + (b.le - lower) * ((rank - seen) / b.n);
      }
      seen += b.n;
      if (b.le !== Infinity) lower = b.le;
    }
    return lower;
  }

  const ms = (s) => (s === null ? '–' : s * 1000 < 1 ? (s * 1000).toFixed(2) + ' ms' : (s * 1000).toFixed(1) + ' ms');

  function plotLatency() {
    const svg = $('latency-plot');
    const W = 320, H = 140, L = 34, B = 16, T = 6;
    const NS = 'http://www.w3.org/2000/svg';
    const el = (name, attrs, text) => {
      const e = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const points = state.latency;
    const max = Math.max(0.001, ...points.flatMap((p) => [p.p50, p.p90, p.p99].filter((v) => v !== null)));
    const x = (i) => L + (W - L - 4) * (points.length <= 1 ? 1 : i / (HISTORY_POINTS - 1));
    const y = (v) => T + (H - B - T) * (1 - v / max);
    const children = [
      el('line', { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: '#c5cbd6' }),
      el('text', { x: 2, y: T + 8, 'font-size': 9, fill: '#5d6778' }, ms(max)),
      el('text', { x: 2, y: H - B, 'font-size': 9, fill: '#5d6778' }, '0'),
      el('text', { x: L, y: H - 3, 'font-size': 9, fill: '#5d6778' }, 'last ' + Math.round(HISTORY_POINTS * REFRESH_MS / 60000) + ' min'),
    ];
    const series = [['p50', '#1a7f37'], ['p90', '#b7791f'], ['p99', '#b3261e']];
    series.forEach(([key, color], s) => {
      let d = '';
      let pen = false;
      points.forEach((p, i) => {
        if (p[key] === null) {
          pen = false;
          return;
        }
        d += (pen ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(p[key]).toFixed(1) + ' ';
        pen = true;
      });
      if (d) children.push(el('path', { d: d.trim(), fill: 'none', stroke: color, 'stroke-width': 1.5 }));
      children.push(el('text', { x: W - 90 + s * 30, y: T + 8, 'font-size': 9, fill: color }, key));
    });
    svg.replaceChildren(...children);
    const last = points[points.length - 1];
    $('latency-now').textContent = last && last.n > 0
      ? `last ${REFRESH_MS / 1000} s: ${fmt(last.n)} deliveries, p50 ${ms(last.p50)}, p90 ${ms(last.p90)}, p99 ${ms(last.p99)}`
      : 'no deliveries in the last refresh';
  }

  // --- user search and disconnect (§12 control API) ------------------------------------------------------------------

  async function searchUser(user) {
    $('user-error').textContent = '';
    state.pendingDisconnect = null;
    const button = $('disconnect-user');
    button.hidden = true;
    button.textContent = 'Disconnect user';
    let body;
    try {
      body = await api('/api/v1/connections?user=' + encodeURIComponent(user));
    } catch (e) {
      $('user-error').textContent = e.message;
      rows($('user-results'), [], []);
      $('user-summary').textContent = '';
      return;
    }
    const list = body.connections || [];
    $('user-summary').textContent = `${user}: ${list.length} connection${list.length === 1 ? '' : 's'}`;
    const tbody = $('user-results');
    tbody.replaceChildren(...list.map((c) => {
      const tr = document.createElement('tr');
      [c.instance, c.endpoint, c.transport, c.session || '–', new Date(c.connected_since).toLocaleString(),
        (c.topics || []).join(', ')].forEach((v) => {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      });
      const td = document.createElement('td');
      if (c.session) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'small danger';
        b.textContent = 'End session';
        b.addEventListener('click', () => confirmThen(b, { session: c.session }, user));
        td.appendChild(b);
      }
      tr.appendChild(td);
      return tr;
    }));
    if (list.length > 0) {
      button.hidden = false;
      button.onclick = () => confirmThen(button, { user }, user);
    }
  }

  /** A destructive button asks once more on its own face before it acts. */
  async function confirmThen(button, target, user) {
    if (state.pendingDisconnect !== button) {
      state.pendingDisconnect = button;
      button.textContent = 'Confirm: close with 4401';
      return;
    }
    state.pendingDisconnect = null;
    try {
      await api('/api/v1/disconnect', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(target),
      });
      $('user-summary').textContent = 'Disconnected ' + (target.user ? 'user ' + target.user : 'session ' + target.session) + '.';
      setTimeout(() => searchUser(user), 500);
    } catch (e) {
      $('user-error').textContent = e.message;
    }
  }

  // --- topic tail ----------------------------------------------------------------------------------------------------

  function tailNote(text) {
    const li = document.createElement('li');
    li.className = 'note';
    li.textContent = new Date().toLocaleTimeString() + ' ' + text;
    addTailRow(li);
  }

  function addTailRow(li) {
    const list = $('tail-events');
    list.insertBefore(li, list.firstChild);
    while (list.childElementCount > TAIL_ROWS) list.removeChild(list.lastChild);
  }

  async function startTail(topic) {
    stopTail();
    const controller = new AbortController();
    const tail = { controller, topic };
    state.tail = tail;
    $('tail-stop').hidden = false;
    $('tail-state').textContent = 'connecting to ' + topic + '…';
    let reason = null;
    try {
      const res = await fetch('/api/v1/admin/tail?topic=' + encodeURIComponent(topic), {
        headers: { Authorization: 'Bearer ' + token() }, signal: controller.signal, cache: 'no-store',
      });
      if (!res.ok) {
        let message = res.statusText;
        try { message = (await res.json()).error.message; } catch (e) { /* not JSON */ }
        if (res.status === 401) logout('Token refused: ' + message);
        throw new Error(message);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) reason = tailLine(JSON.parse(line)) || reason;
        }
      }
    } catch (e) {
      if (state.tail !== tail) return; // stopped, or replaced by another tail
      $('tail-state').textContent = 'tail failed: ' + e.message;
      $('tail-stop').hidden = true;
      state.tail = null;
      return;
    }
    if (state.tail !== tail) return;
    if (reason === 'time_limit' && token()) {
      tailNote('stream ended at its time limit; reopening');
      startTail(topic);
    } else {
      $('tail-state').textContent = 'tail ended' + (reason ? ': ' + reason : '');
      $('tail-stop').hidden = true;
      state.tail = null;
    }
  }

  /** Shows one line of the stream; returns the end reason when it is the last. */
  function tailLine(m) {
    switch (m.type) {
      case 'subscribed':
        $('tail-state').textContent = 'tailing ' + m.topic + ' on ' + m.instance;
        return null;
      case 'event': {
        const li = document.createElement('li');
        const e = m.event || {};
        li.textContent = `${new Date(m.at).toLocaleTimeString()} ${e.event_type}` +
          (m.offset !== undefined ? ` #${m.offset}` : '') + ' ' + JSON.stringify(e.data === undefined ? e : e.data);
        addTailRow(li);
        return null;
      }
      case 'skipped':
        tailNote(`${m.count} events skipped (more than the page shows)`);
        return null;
      case 'error':
        tailNote('error: ' + m.message);
        return 'error';
      case 'end':
        return m.reason;
      default:
        return null; // ping
    }
  }

  function stopTail() {
    if (state.tail) {
      state.tail.controller.abort();
      state.tail = null;
      $('tail-state').textContent = 'stopped';
    }
    $('tail-stop').hidden = true;
  }

  // --- wiring --------------------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('token').value.trim();
      if (t) login(t);
    });
    $('logout').addEventListener('click', () => logout(''));
    $('user-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const u = $('user-query').value.trim();
      if (u) searchUser(u);
    });
    $('tail-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('tail-topic').value.trim();
      if (t) {
        $('tail-events').replaceChildren();
        startTail(t);
      }
    });
    $('tail-stop').addEventListener('click', stopTail);
    show(Boolean(token()));
  });
})();
