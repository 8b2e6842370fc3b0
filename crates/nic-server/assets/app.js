/*
 * NIC web UI — one small script, no framework, no build step.
 *
 * Why it looks like this:
 * - The page is served with a strict CSP (script-src 'self', style-src 'self'), so there is
 *   no inline script or style anywhere; dynamic sizes go through CSS custom properties set
 *   with CSSOM (el.style.setProperty), which CSP allows.
 * - Manual text is untrusted (a PDF can say anything). Every string from the API or the
 *   corpus reaches the DOM through textContent / text nodes, never innerHTML, and no URL is
 *   ever built from corpus text. Highlighting splits text and wraps matches in <mark>
 *   elements created with DOM APIs.
 * - Technicians use it with gloves and little time: Enter asks, "/" jumps to the box, the
 *   status of an answer is a big badge, and an emergency pushes its guidance to the top.
 */
(function () {
  'use strict';

  var RECENT_KEY = 'nic.recent.v1';
  var TOKEN_KEY = 'nic.token';
  var RECENT_MAX = 20;
  var HEALTH_EVERY_MS = 30000;
  var ASK_TIMEOUT_MS = 180000;
  var STATUSES = ['answered', 'abstained', 'refused', 'emergency'];

  var state = {
    sessionId: null,
    caseQuestions: 0,
    turnSeq: 0,
    threshold: null,
    generation: null,
    busy: false,
    lastQuestion: null,
    retryTimer: null,
  };

  // ---------------------------------------------------------------- DOM helpers

  function $(id) {
    return document.getElementById(id);
  }

  /** Creates an element. `attrs.text` sets textContent; `on*` adds listeners; children
   *  that are strings become text nodes (never parsed as HTML). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = String(v);
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else if (child instanceof Node) {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }

  function str(v) {
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
  }

  function num(v) {
    return typeof v === 'number' && isFinite(v) ? v : null;
  }

  function fmtInt(v) {
    var n = num(v);
    return n === null ? '?' : Math.round(n).toLocaleString('en-US');
  }

  function pct(v) {
    return Math.round(Math.max(0, Math.min(1, v)) * 100);
  }

  function storageGet(store, key) {
    try { return window[store].getItem(key); } catch (e) { return null; }
  }

  function storageSet(store, key, value) {
    try {
      if (value === null) window[store].removeItem(key);
      else window[store].setItem(key, value);
    } catch (e) { /* private mode or full: the feature just does not persist */ }
  }

  // ---------------------------------------------------------------- API

  function ApiError(status, code, message, requestId, retryAfter) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.requestId = requestId || null;
    this.retryAfter = retryAfter || null;
  }

  /** Calls the JSON API. Resolves with the parsed body; rejects with ApiError carrying the
   *  server's {"error":{code,message}} when there is one. */
  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    var token = storageGet('sessionStorage', TOKEN_KEY);
    if (token) headers['X-API-TOKEN'] = token;
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, ASK_TIMEOUT_MS);
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal,
      cache: 'no-store',
      credentials: 'same-origin',
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (!res.ok) {
          var err = data && data.error && typeof data.error === 'object' ? data.error : {};
          throw new ApiError(res.status, str(err.code) || 'http_' + res.status,
            str(err.message) || res.statusText || 'The request failed.',
            data && str(data.request_id), res.headers.get('Retry-After'));
        }
        return data;
      });
    }, function (e) {
      throw new ApiError(0, e && e.name === 'AbortError' ? 'timeout' : 'unreachable',
        e && e.name === 'AbortError'
          ? 'The server took too long to answer.'
          : 'Cannot reach the NIC server.');
    }).finally(function () {
      clearTimeout(timer);
    });
  }

  /** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date). */
  function retrySeconds(header) {
    var h = str(header).trim();
    if (/^\d+$/.test(h)) return parseInt(h, 10);
    var when = Date.parse(h);
    if (!isNaN(when)) return Math.max(1, Math.ceil((when - Date.now()) / 1000));
    return null;
  }

  // ---------------------------------------------------------------- error box

  function hideError() {
    $('error').hidden = true;
    $('token-form').hidden = true;
    $('error-retry').hidden = true;
    if (state.retryTimer) {
      clearInterval(state.retryTimer);
      state.retryTimer = null;
    }
  }

  function showError(err) {
    hideError();
    var box = $('error');
    var title = 'The server could not answer';
    var message = str(err && err.message) || 'Unknown error.';
    var status = err && err.status;
    var retry = $('error-retry');
    box.dataset.code = str(err && err.code);

    if (status === 429 || status === 503) {
      title = 'NIC is busy';
      var secs = retrySeconds(err.retryAfter);
      retry.hidden = false;
      if (secs !== null && secs > 0) {
        var left = secs;
        var tick = function () {
          message = 'NIC is busy, retry in ' + left + ' s.';
          $('error-message').textContent = message;
          retry.disabled = left > 0;
          if (left <= 0) {
            $('error-message').textContent = 'NIC was busy. You can retry now.';
            clearInterval(state.retryTimer);
            state.retryTimer = null;
          }
          left -= 1;
        };
        state.retryTimer = setInterval(tick, 1000);
        tick();
        message = null;
      } else {
        message = 'NIC is busy, retry in a few seconds.';
        retry.disabled = false;
      }
    } else if (status === 401 || status === 403) {
      title = 'Access token needed';
      message = 'This NIC server requires an access token. Ask your administrator for it.';
      $('token-form').hidden = false;
    } else if (status === 0) {
      title = err.code === 'timeout' ? 'No answer in time' : 'Server unreachable';
      message += ' Check that `nic serve` is running on this machine, then retry.';
      retry.hidden = false;
      retry.disabled = false;
    }
    $('error-title').textContent = title;
    if (message !== null) $('error-message').textContent = message;
    var detail = [];
    if (err && err.code) detail.push('code: ' + err.code);
    if (err && status) detail.push('HTTP ' + status);
    if (err && err.requestId) detail.push('request: ' + err.requestId);
    $('error-detail').textContent = detail.join(' · ');
    box.hidden = false;
  }

  // ---------------------------------------------------------------- term highlighting

  var STOP = ('a an and are as at be by can do does for from has have how i if in is it its ' +
    'me my of on or should the this to was what when where which who why will with you your ' +
    'there their them then than that these those not no yes get got into out up down about ' +
    'right now please need want').split(' ');

  /** Terms of the question worth highlighting, as lower-case stems. */
  function questionTerms(question) {
    var words = str(question).toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}\-]*/gu) || [];
    var seen = {};
    var out = [];
    words.forEach(function (w) {
      if (STOP.indexOf(w) >= 0) return;
      if (w.length < 3 && !/\d/.test(w)) return;
      var stem = w;
      if (stem.length > 5) stem = stem.replace(/(ing|ed|es|s)$/, '');
      else if (stem.length > 3) stem = stem.replace(/s$/, '');
      if (!seen[stem]) {
        seen[stem] = true;
        out.push(stem);
      }
    });
    return out.sort(function (a, b) { return b.length - a.length; });
  }

  function escapeRegExp(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }

  /** Appends `text` to `parent`, wrapping words that start with a question term in <mark>.
   *  Text nodes only: corpus text is never parsed as markup. */
  function appendHighlighted(parent, text, terms) {
    text = str(text);
    if (!terms.length) {
      parent.appendChild(document.createTextNode(text));
      return 0;
    }
    var re = new RegExp('(?<![\\p{L}\\p{N}])(?:' + terms.map(escapeRegExp).join('|') +
      ')[\\p{L}\\p{N}]*', 'giu');
    var last = 0;
    var count = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex += 1;
        continue;
      }
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      parent.appendChild(el('mark', { text: m[0] }));
      count += 1;
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return count;
  }

  // ---------------------------------------------------------------- sources

  function sectionPath(section) {
    // DESIGN's separator is " > " with spaces; a bare ">" may be part of a heading.
    return str(section).split(/\s+>\s+/).filter(Boolean).join(' › ');
  }

  function metaItem(label, value, cls) {
    return el('div', { class: 'meta-item' + (cls ? ' ' + cls : '') },
      el('dt', { text: label }), el('dd', { text: value }));
  }

  /** One source card (a citation or a closest section). `id` is the DOM id that answer
   *  references link to. */
  function sourceCard(src, id, label, terms) {
    var title = str(src.title) || str(src.doc) || 'Untitled document';
    var page = num(src.page);
    var score = num(src.score);
    var snippet = el('blockquote', { class: 'snippet' });
    appendHighlighted(snippet, src.snippet, terms);
    var details = el('details', { class: 'src-more' },
      el('summary', { class: 'btn btn-secondary src-toggle' }, 'Show text'),
      snippet,
      el('dl', { class: 'src-doc' },
        metaItem('File', str(src.doc) || '—', 'meta-wide'),
        src.chunk_id ? metaItem('Passage id', str(src.chunk_id)) : null));
    details.addEventListener('toggle', function () {
      details.querySelector('summary').textContent = details.open ? 'Hide text' : 'Show text';
    });
    return el('li', { class: 'source-card', id: id, tabindex: '-1', 'data-doc': str(src.doc) },
      el('div', { class: 'src-head' },
        el('span', { class: 'src-ref', text: label }),
        el('h4', { class: 'src-title', text: title })),
      el('dl', { class: 'src-meta' },
        metaItem('Domain', str(src.domain) || '—'),
        metaItem('Page', page === null ? '—' : String(page)),
        metaItem('Section', sectionPath(src.section) || '—', 'meta-wide'),
        metaItem('Score', score === null ? '—' : score.toFixed(2))),
      details);
  }

  /** "Follow a citation": expand its card, bring it into view and move focus to it. */
  function followSource(id) {
    var card = $(id);
    if (!card) return;
    var turn = card.closest('.turn');
    if (turn) setTurnOpen(turn, true);
    var details = card.querySelector('details');
    if (details) details.open = true;
    document.querySelectorAll('.source-card.is-followed').forEach(function (c) {
      c.classList.remove('is-followed');
    });
    card.classList.add('is-followed');
    var reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    card.scrollIntoView({ block: 'center', behavior: reduce ? 'auto' : 'smooth' });
    card.focus({ preventScroll: true });
  }

  function sourceLink(text, id, cls, aria) {
    return el('a', {
      class: cls,
      href: '#' + id,
      'aria-label': aria,
      onclick: function (e) {
        e.preventDefault();
        followSource(id);
      },
    }, text);
  }

  function describeSource(src) {
    var parts = [str(src.title) || str(src.doc)];
    if (num(src.page) !== null) parts.push('page ' + src.page);
    if (src.section) parts.push(sectionPath(src.section));
    return parts.join(', ');
  }

  // ---------------------------------------------------------------- answer text

  /** Renders answer text, turning [n] / [n, m] into links to the matching source card. */
  function answerText(text, citations, idPrefix) {
    var p = el('div', { class: 'answer-text' });
    text = str(text);
    var byRef = {};
    citations.forEach(function (c) { byRef[String(c.ref)] = c; });
    var re = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var refs = m[1].split(/\s*[,;]\s*/);
      if (!refs.every(function (r) { return byRef[r]; })) continue;
      if (m.index > last) p.appendChild(document.createTextNode(text.slice(last, m.index)));
      refs.forEach(function (r) {
        p.appendChild(sourceLink('[' + r + ']', idPrefix + r, 'ref',
          'Source ' + r + ': ' + describeSource(byRef[r])));
      });
      last = m.index + m[0].length;
    }
    if (last < text.length) p.appendChild(document.createTextNode(text.slice(last)));
    return p;
  }

  // ---------------------------------------------------------------- one turn

  function badgeFor(status, data) {
    var mode = str(data.mode);
    var model = str(data.model);
    if (status === 'answered') {
      var how = mode === 'generative'
        ? 'Generative' + (model ? ' · ' + model : '')
        : mode === 'extractive' ? 'Extractive · quoted from the manuals' : mode;
      return { label: 'Answered', detail: how };
    }
    if (status === 'abstained') return { label: 'Not in the manuals', detail: 'No confident answer' };
    if (status === 'refused') return { label: 'Refused', detail: 'Unsafe request' };
    if (status === 'emergency') return { label: 'Emergency', detail: 'Act on the guidance first' };
    return { label: 'Response', detail: str(data.status) };
  }

  function confidenceBlock(conf, idBase) {
    var value = pct(conf);
    var t = state.threshold;
    var below = t !== null && conf < t;
    var labelId = idBase + '-conf';
    var meter = el('div', {
      class: 'meter' + (below ? ' is-below' : ''),
      role: 'meter',
      'aria-labelledby': labelId,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(value),
      'aria-valuetext': value + '%' + (t !== null ? ', threshold ' + pct(t) + '%' : ''),
    }, el('div', { class: 'meter-fill' }));
    meter.style.setProperty('--value', value + '%');
    if (t !== null) {
      var mark = el('div', { class: 'meter-threshold', title: 'Threshold ' + pct(t) + '%' });
      meter.appendChild(mark);
      meter.style.setProperty('--threshold', pct(t) + '%');
    }
    return el('div', { class: 'confidence' },
      el('p', { class: 'confidence-label', id: labelId },
        'Confidence ', el('strong', { text: value + '%' }),
        t !== null ? el('span', { class: 'muted', text: ' · answers need ' + pct(t) + '%' }) : null),
      meter);
  }

  function droppedClaims(audit) {
    var claims = audit && Array.isArray(audit.claims) ? audit.claims : [];
    var dropped = claims.filter(function (c) { return c && c.supported === false; });
    if (!dropped.length) return null;
    var list = el('ul', { class: 'dropped-list' });
    dropped.forEach(function (c) {
      var refs = Array.isArray(c.refs) && c.refs.length
        ? ' (cited ' + c.refs.map(function (r) { return '[' + r + ']'; }).join(' ') + ')'
        : ' (no citation)';
      list.appendChild(el('li', {}, el('span', { text: str(c.text) }),
        el('span', { class: 'muted', text: refs })));
    });
    return el('details', { class: 'dropped' },
      el('summary', {}, dropped.length + (dropped.length === 1 ? ' statement' : ' statements') +
        ' removed by the citation check (not supported by the manuals)'),
      list);
  }

  function setTurnOpen(turn, open) {
    var body = turn.querySelector('.turn-body');
    var toggle = turn.querySelector('.turn-toggle');
    if (!body || !toggle) return;
    body.hidden = !open;
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    toggle.textContent = open ? 'Hide answer' : 'Show answer';
    turn.classList.toggle('is-collapsed', !open);
  }

  function renderTurn(question, data, domain) {
    var seq = ++state.turnSeq;
    var id = 't' + seq;
    var status = STATUSES.indexOf(data.status) >= 0 ? data.status : 'unknown';
    var citations = Array.isArray(data.citations) ? data.citations.filter(Boolean) : [];
    var closest = Array.isArray(data.closest) ? data.closest.filter(Boolean) : [];
    var safety = data.safety && typeof data.safety === 'object' ? data.safety : {};
    var safetyMsg = str(safety.message);
    var terms = questionTerms(question);
    var badge = badgeFor(status, data);

    var main = el('div', { class: 'turn-main' });
    var body = el('div', { class: 'turn-body', id: id + '-body' }, main);

    // Emergency: the guidance comes before anything else.
    if (status === 'emergency') {
      main.appendChild(el('div', { class: 'emergency-banner', role: 'alert' },
        el('p', { class: 'emergency-title', text: 'EMERGENCY — act now' }),
        el('p', { class: 'emergency-message',
          text: safetyMsg || 'Stop work, make the area safe and call emergency services.' })));
    }

    main.appendChild(el('p', { class: 'badge badge-' + status, 'data-status': status },
      el('span', { class: 'badge-label', text: badge.label }),
      badge.detail ? el('span', { class: 'badge-detail', text: badge.detail }) : null));

    if (status === 'refused') {
      main.appendChild(el('div', { class: 'refusal' },
        el('p', { class: 'refusal-reason', text: safetyMsg || str(data.answer) ||
          'NIC will not help with this request.' })));
    } else if (safetyMsg && status !== 'emergency') {
      main.appendChild(el('div', { class: 'safety-note', role: 'note' },
        el('strong', { text: 'Safety: ' }), safetyMsg));
    }

    var answer = str(data.answer).trim();
    // Do not repeat the safety text when the server also put it in `answer`.
    if ((status === 'refused' || status === 'emergency') && safetyMsg.trim() &&
        answer.indexOf(safetyMsg.trim()) === 0) {
      answer = answer.slice(safetyMsg.trim().length).trim();
    }
    if (status === 'refused' && !safetyMsg) answer = ''; // already shown as the reason
    if (answer) {
      if (status === 'emergency' && citations.length) {
        main.appendChild(el('h3', { class: 'sub', text: 'From the manuals' }));
      }
      main.appendChild(answerText(answer, citations, id + '-src-'));
    }

    if (status === 'abstained' && closest.length) {
      var links = el('ul', { class: 'closest-list' });
      closest.forEach(function (c, i) {
        links.appendChild(el('li', {}, sourceLink(describeSource(c), id + '-close-' + (i + 1),
          'closest-link', null)));
      });
      main.appendChild(el('div', { class: 'closest' },
        el('h3', { class: 'sub', text: 'Closest sections — look here' }), links));
    }

    var conf = num(data.confidence);
    if (conf !== null && status !== 'refused' && !(status === 'emergency' && !citations.length)) {
      main.appendChild(confidenceBlock(conf, id));
    }

    var dropped = droppedClaims(data.audit);
    if (dropped) main.appendChild(dropped);

    var meta = [];
    var timings = data.timings_ms && typeof data.timings_ms === 'object' ? data.timings_ms : {};
    if (num(timings.total) !== null) meta.push(timings.total.toFixed(0) + ' ms');
    if (data.request_id) meta.push('request ' + str(data.request_id));
    if (domain) meta.push('manuals: ' + domain);
    if (meta.length) main.appendChild(el('p', { class: 'turn-meta muted', text: meta.join(' · ') }));

    // Sources panel: citations, or the closest sections for an abstention.
    var sources = status === 'abstained' ? closest : citations;
    if (sources.length) {
      var isClosest = status === 'abstained';
      var list = el('ol', { class: 'source-list' });
      sources.forEach(function (s, i) {
        var ref = isClosest ? i + 1 : num(s.ref) !== null ? s.ref : i + 1;
        list.appendChild(sourceCard(s, id + (isClosest ? '-close-' : '-src-') + ref,
          isClosest ? String(i + 1) : '[' + ref + ']', terms));
      });
      body.appendChild(el('aside', { class: 'sources', 'aria-labelledby': id + '-sources' },
        el('h3', { class: 'sources-title', id: id + '-sources',
          text: (isClosest ? 'Closest sections' : 'Sources') + ' (' + sources.length + ')' }),
        list));
    }

    var toggle = el('button', {
      type: 'button', class: 'btn btn-secondary turn-toggle',
      'aria-expanded': 'true', 'aria-controls': id + '-body', text: 'Hide answer',
    });
    var turn = el('article', {
      class: 'turn turn-' + status, id: id, 'data-status': status,
      'aria-labelledby': id + '-q',
    },
      el('header', { class: 'turn-head' },
        el('h2', { class: 'turn-q', id: id + '-q' },
          el('span', { class: 'visually-hidden', text: 'Question: ' }), question),
        el('div', { class: 'turn-actions' },
          el('button', {
            type: 'button', class: 'btn btn-secondary btn-print',
            onclick: function () { printTurn(turn); },
          }, 'Print'),
          toggle)),
      el('p', { class: 'print-only print-stamp' }),
      body);
    toggle.addEventListener('click', function () {
      setTurnOpen(turn, toggle.getAttribute('aria-expanded') !== 'true');
    });

    var thread = $('thread');
    thread.querySelectorAll('.turn').forEach(function (t) { setTurnOpen(t, false); });
    thread.setAttribute('aria-busy', 'true');
    thread.insertBefore(turn, thread.firstChild);
    thread.setAttribute('aria-busy', 'false');
    // Bring the answer into view only when it starts low on the screen (tablets).
    if (turn.getBoundingClientRect().top > window.innerHeight * 0.6) {
      turn.scrollIntoView({ block: 'start' });
    }
    return turn;
  }

  // ---------------------------------------------------------------- print

  function printTurn(turn) {
    preparePrint(turn);
    window.print();
  }

  function preparePrint(turn) {
    clearPrint();
    document.body.classList.add('print-one');
    turn.classList.add('print-target');
    var stamp = turn.querySelector('.print-stamp');
    if (stamp) stamp.textContent = 'NIC answer, printed ' + new Date().toLocaleString();
    setTurnOpen(turn, true);
    turn.querySelectorAll('details:not([open])').forEach(function (d) {
      d.open = true;
      d.dataset.printOpened = '1';
    });
  }

  function clearPrint() {
    document.body.classList.remove('print-one');
    document.querySelectorAll('.print-target').forEach(function (t) {
      t.classList.remove('print-target');
    });
    document.querySelectorAll('details[data-print-opened]').forEach(function (d) {
      d.open = false;
      delete d.dataset.printOpened;
    });
  }

  // ---------------------------------------------------------------- asking

  function setBusy(busy) {
    state.busy = busy;
    var btn = $('ask-button');
    btn.disabled = busy;
    btn.textContent = busy ? 'Asking…' : 'Ask';
    $('ask-form').setAttribute('aria-busy', busy ? 'true' : 'false');
    $('working').hidden = !busy;
  }

  function updateCaseState() {
    var n = state.caseQuestions;
    $('case-state').textContent = n === 0
      ? 'New case'
      : 'Case: ' + n + (n === 1 ? ' question' : ' questions');
  }

  function ask(question) {
    question = str(question).trim();
    if (!question) {
      focusBox();
      return Promise.resolve();
    }
    if (state.busy) return Promise.resolve();
    hideError();
    setBusy(true);
    state.lastQuestion = question;
    var body = { question: question };
    if (state.sessionId) body.session_id = state.sessionId;
    var domain = $('domain').value;
    if (domain) body.domain = domain;
    return api('POST', '/api/ask', body).then(function (data) {
      if (!data || typeof data !== 'object') {
        throw new ApiError(200, 'bad_response', 'The server sent an answer NIC cannot read.');
      }
      if (typeof data.session_id === 'string' && data.session_id) state.sessionId = data.session_id;
      state.caseQuestions += 1;
      updateCaseState();
      addRecent(question);
      if ($('question').value.trim() === question) $('question').value = '';
      renderTurn(question, data, domain);
    }).catch(function (err) {
      showError(err instanceof ApiError ? err : new ApiError(0, 'client_error', str(err && err.message)));
    }).finally(function () {
      setBusy(false);
    });
  }

  function newCase() {
    var id = state.sessionId;
    state.sessionId = null;
    state.caseQuestions = 0;
    updateCaseState();
    hideError();
    var thread = $('thread');
    while (thread.firstChild) thread.removeChild(thread.firstChild);
    focusBox();
    if (id) {
      // Best effort: the server also forgets idle sessions on its own.
      api('DELETE', '/api/sessions/' + encodeURIComponent(id)).catch(function () {});
    }
  }

  function focusBox() {
    var q = $('question');
    q.focus();
    var end = q.value.length;
    try { q.setSelectionRange(end, end); } catch (e) { /* not a text control */ }
  }

  // ---------------------------------------------------------------- recent questions

  function loadRecent() {
    try {
      var v = JSON.parse(storageGet('localStorage', RECENT_KEY) || '[]');
      return Array.isArray(v)
        ? v.filter(function (x) { return typeof x === 'string' && x; }).slice(0, RECENT_MAX)
        : [];
    } catch (e) {
      return [];
    }
  }

  function addRecent(q) {
    var list = [q].concat(loadRecent().filter(function (x) { return x !== q; }))
      .slice(0, RECENT_MAX);
    storageSet('localStorage', RECENT_KEY, JSON.stringify(list));
    renderRecent();
  }

  function renderRecent() {
    var list = loadRecent();
    var ul = $('recent-list');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    list.forEach(function (q) {
      ul.appendChild(el('li', {}, el('button', {
        type: 'button', class: 'btn btn-recent',
        onclick: function () {
          $('question').value = q;
          ask(q);
        },
      }, q)));
    });
    $('recent').hidden = list.length === 0;
  }

  // ---------------------------------------------------------------- status and health

  function setPill(id, stateName, text, title) {
    var pill = $(id);
    pill.dataset.state = stateName;
    pill.textContent = text;
    if (title) pill.title = title;
    else pill.removeAttribute('title');
  }

  function refreshHealth() {
    return fetch('/health', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) { return res.json(); })
      .then(function (h) {
        var checks = h && h.checks && typeof h.checks === 'object' ? h.checks : {};
        var ix = checks.index || {};
        setPill('health-index', str(ix.status) || 'unknown',
          'Index gen ' + (ix.generation === undefined || ix.generation === null ? '?' : str(ix.generation)) +
          ' · ' + fmtInt(ix.chunks) + ' chunks');

        var llm = checks.llm || {};
        var backend = str(llm.backend);
        var breaker = str(llm.breaker);
        var llmState = str(llm.status) || 'unknown';
        var llmText;
        if (!backend || backend === 'none') {
          llmText = 'LLM off · extractive';
          llmState = 'info';
        } else if (breaker === 'open') {
          llmText = 'LLM breaker open · extractive';
          llmState = 'warn';
        } else if (breaker === 'half_open') {
          llmText = 'LLM recovering (' + backend + ')';
          llmState = 'warn';
        } else if (llmState === 'pass') {
          llmText = 'LLM up (' + backend + ')';
        } else {
          llmText = 'LLM down · extractive';
        }
        setPill('health-llm', llmState, llmText, llm.model ? 'Model ' + str(llm.model) : null);

        var mem = checks.memory || {};
        var usage = num(mem.usage_percent);
        setPill('health-memory', str(mem.status) || 'unknown',
          'Memory ' + (usage === null ? '?' : usage.toFixed(0) + '%') +
          (mem.status && mem.status !== 'pass' ? ' · ' + str(mem.status) : ''),
          num(mem.rss_bytes) !== null ? 'RSS ' + (mem.rss_bytes / 1048576).toFixed(0) + ' MB' : null);

        var gen = ix.generation === undefined ? null : ix.generation;
        if (gen !== null && state.generation !== null && gen !== state.generation) refreshStatus();
      })
      .catch(function () {
        setPill('health-index', 'fail', 'Server unreachable');
        setPill('health-llm', 'unknown', 'LLM: ?');
        setPill('health-memory', 'unknown', 'Memory: ?');
      });
  }

  function refreshStatus() {
    return api('GET', '/api/status').then(function (s) {
      if (!s || typeof s !== 'object') return;
      state.threshold = num(s.confidence_threshold);
      state.generation = s.generation === undefined ? null : s.generation;
      var select = $('domain');
      var current = select.value;
      while (select.options.length > 1) select.remove(1);
      (Array.isArray(s.domains) ? s.domains : []).forEach(function (d) {
        var name = d && typeof d === 'object' ? str(d.name) : str(d);
        if (!name) return;
        var label = name + (d && num(d.chunks) !== null ? ' (' + fmtInt(d.chunks) + ' passages)' : '');
        var opt = new Option(label, name);
        select.add(opt);
      });
      select.value = current;
      if (select.value !== current) select.value = '';
      var parts = [];
      if (s.version) parts.push('NIC ' + str(s.version));
      if (s.generation !== undefined && s.generation !== null) parts.push('index generation ' + str(s.generation));
      if (num(s.documents) !== null) parts.push(fmtInt(s.documents) + ' documents');
      $('version').textContent = parts.join(' · ');
    }).catch(function (err) {
      if (err && (err.status === 401 || err.status === 403)) showError(err);
    });
  }

  // ---------------------------------------------------------------- keyboard and wiring

  function isTyping(t) {
    if (!t || !t.tagName) return false;
    var tag = t.tagName.toLowerCase();
    if (tag === 'textarea' || tag === 'select' || t.isContentEditable) return true;
    if (tag === 'input') {
      var type = (t.getAttribute('type') || 'text').toLowerCase();
      return ['button', 'submit', 'reset', 'checkbox', 'radio'].indexOf(type) < 0;
    }
    return false;
  }

  function init() {
    var form = $('ask-form');
    var q = $('question');

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      ask(q.value);
    });
    q.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey &&
          !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        ask(q.value);
      }
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
        e.preventDefault();
        focusBox();
      }
    });

    $('new-case').addEventListener('click', newCase);
    $('recent-clear').addEventListener('click', function () {
      storageSet('localStorage', RECENT_KEY, null);
      renderRecent();
    });
    $('error-retry').addEventListener('click', function () {
      if (state.lastQuestion) ask(state.lastQuestion);
    });
    $('token-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var v = $('token').value.trim();
      storageSet('sessionStorage', TOKEN_KEY, v || null);
      $('token').value = '';
      hideError();
      refreshStatus();
      if (state.lastQuestion) ask(state.lastQuestion);
    });

    window.addEventListener('beforeprint', function () {
      if (!document.querySelector('.turn.print-target')) {
        var newest = document.querySelector('#thread .turn');
        if (newest) preparePrint(newest);
      }
    });
    window.addEventListener('afterprint', clearPrint);

    renderRecent();
    updateCaseState();
    refreshStatus();
    refreshHealth();
    setInterval(refreshHealth, HEALTH_EVERY_MS);
    q.focus();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
