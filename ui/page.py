"""How the page looks and behaves in the browser: its stylesheet and its one script.

The layout itself is built in `app.py`; this module holds the CSS (the conversation fills the window's height, the
composer stays at the bottom, nothing scrolls sideways) and the JavaScript (the side panel starts closed on a phone,
the chat scrolls to the newest message when the person sends one and when charts finish rendering, times are shown
in the browser's time zone with UTC on hover).
"""

from __future__ import annotations

PHONE_MAX_PX = 768  # at or below this width the side panel starts closed, behind its button

CSS = """
html, body {overflow-x: hidden;}
.gradio-container {max-width: 100% !important; overflow-x: hidden;}
/* the page is one screen: header, conversation (grows), composer */
#page-header {align-items: center; gap: 0.5rem; flex-wrap: nowrap; min-height: 0;}
#page-header h1 {font-size: 1.15rem; margin: 0; white-space: nowrap;}
#page-title {flex: 0 0 auto !important; width: auto !important; min-width: 0 !important;}
#page-title p {margin: 0;}
#status-line {font-size: 0.8rem; min-width: 0 !important; flex: 1 1 0 !important; width: auto !important;}
#status-line p {margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;}
#model-missing {font-size: 0.85rem;}
#model-missing p {margin: 0;}
#chatbot {flex: 0 0 auto !important; min-height: 200px; height: var(--chat-h, calc(100dvh - 190px)) !important;}
#composer {flex-wrap: nowrap; gap: 0.4rem; align-items: stretch;}
#composer > * {min-width: 0 !important;}
#message {flex: 1 1 auto !important;}
#send, #stop {flex: 0 0 auto !important; min-width: 4.2rem !important; width: auto !important;}
/* bot bubbles never overflow the column; wide content scrolls inside its own box */
#chatbot .message-row, #chatbot .message, #chatbot .bubble, #chatbot .message-content {max-width: 100%;
 min-width: 0; box-sizing: border-box;}
#chatbot .message-row .message {overflow-x: auto;}
#chatbot pre, #chatbot table {max-width: 100%; overflow-x: auto;}
#chatbot table {display: block;}
#chatbot .message-row:has(.js-plotly-plot) {width: auto !important; max-width: 100% !important;
 align-self: stretch; margin-right: 0 !important;}
#chatbot .message-row:has(.js-plotly-plot) .role, #chatbot .message-row:has(.js-plotly-plot) .message,
#chatbot .message-row:has(.js-plotly-plot) .thought-group {width: 100% !important; max-width: 100% !important;
 box-sizing: border-box;}
#chatbot .js-plotly-plot {width: 100%; min-width: 0; overflow: hidden;}
/* charts follow the page's light or dark theme (every plotly chart of the app, whatever built it) */
.dark .js-plotly-plot .main-svg {background: transparent !important;}
.dark .js-plotly-plot .bg, .dark .js-plotly-plot .legend .bg {fill: transparent !important;}
.dark .js-plotly-plot text {fill: #d4d4d8 !important;}
.dark .js-plotly-plot .gridlayer path, .dark .js-plotly-plot .zerolinelayer path
{stroke: rgba(255, 255, 255, 0.14) !important;}
.dark .js-plotly-plot .modebar-btn path {fill: #a1a1aa !important;}
/* the ticket card: its Confirm (primary) and Reject (danger) right under it */
#chatbot .options {gap: 0.5rem; padding-top: 0.25rem;}
#chatbot .options button.option {border-style: solid !important; font-weight: 600; min-height: 2.5rem;
 padding: 0.4rem 1rem;}
#chatbot .options button.option:nth-child(odd) {background: var(--button-primary-background-fill) !important;
 color: var(--button-primary-text-color) !important; border-color: var(--button-primary-border-color) !important;}
#chatbot .options button.option:nth-child(even) {background: var(--button-cancel-background-fill) !important;
 color: var(--button-cancel-text-color) !important; border-color: var(--button-cancel-border-color) !important;}
.ticket-figures {font-size: 1.05em;}
.ticket-figures b {white-space: nowrap;}
/* the side panel */
#side-panel .form, #side-panel .block {min-width: 0;}
#side-panel h3 {margin: 0.25rem 0;}
#ticket-buttons {flex-wrap: nowrap;}
#watchlist svg {max-width: 100%; height: auto;}
#watchlist table {table-layout: fixed; width: 100%;}
#watchlist td:last-child {width: 40%;}
/* contrast (WCAG AA, axe-core color-contrast): darker button fills, readable subdued text */
:root, .dark {--button-primary-background-fill: #c2410c !important;
 --button-primary-background-fill-hover: #9a3412 !important; --button-primary-border-color: #c2410c !important;
 --button-cancel-background-fill: #b91c1c !important; --button-cancel-background-fill-hover: #991b1b !important;
 --button-cancel-border-color: #b91c1c !important; --button-primary-text-color: #ffffff !important;
 --button-cancel-text-color: #ffffff !important;}
#chatbot .duration {color: #52525b !important; opacity: 1 !important;}
/* a step's content at full opacity (Gradio dims it to 0.8, nested 0.64) and code tokens >= 4.5:1 in both themes */
#chatbot .thought-group .message-content, #chatbot .message-wrap .prose.chatbot.md {opacity: 1 !important;}
#chatbot .md .token.keyword, #chatbot .md .token.atrule, #chatbot .md .token.attr-value {color: #a40e26 !important;}
#chatbot .md .token.string, #chatbot .md .token.char, #chatbot .md .token.attr-name, #chatbot .md .token.regex,
#chatbot .md .token.inserted, #chatbot .md .token.selector {color: #0a3069 !important;}
#chatbot .md .token.function, #chatbot .md .token.class-name {color: #6639ba !important;}
#chatbot .md .token.builtin, #chatbot .md .token.number, #chatbot .md .token.boolean, #chatbot .md .token.constant,
#chatbot .md .token.property, #chatbot .md .token.tag, #chatbot .md .token.symbol,
#chatbot .md .token.deleted {color: #0550ae !important;}
#chatbot .md .token.comment, #chatbot .md .token.prolog, #chatbot .md .token.doctype,
#chatbot .md .token.cdata {color: #57606a !important;}
#chatbot .md .token.punctuation, #chatbot .md .token.operator, #chatbot .md .token.variable,
#chatbot .md .token.important, #chatbot .md .token.entity, #chatbot .md .token.url {color: inherit !important;}
.dark #chatbot .md .token.keyword, .dark #chatbot .md .token.atrule,
.dark #chatbot .md .token.attr-value {color: #ff9492 !important;}
.dark #chatbot .md .token.string, .dark #chatbot .md .token.char, .dark #chatbot .md .token.attr-name,
.dark #chatbot .md .token.regex, .dark #chatbot .md .token.inserted,
.dark #chatbot .md .token.selector {color: #a5d6ff !important;}
.dark #chatbot .md .token.function, .dark #chatbot .md .token.class-name {color: #d2a8ff !important;}
.dark #chatbot .md .token.builtin, .dark #chatbot .md .token.number, .dark #chatbot .md .token.boolean,
.dark #chatbot .md .token.constant, .dark #chatbot .md .token.property, .dark #chatbot .md .token.tag,
.dark #chatbot .md .token.symbol, .dark #chatbot .md .token.deleted {color: #79c0ff !important;}
.dark #chatbot .md .token.comment, .dark #chatbot .md .token.prolog, .dark #chatbot .md .token.doctype,
.dark #chatbot .md .token.cdata {color: #a1a1aa !important;}
.dark #chatbot .duration {color: #a1a1aa !important;}
#chatbot [role="button"] .icon-button {pointer-events: none;}
#chatbot .chart-summary {font-size: 0.85rem; margin: 0.25rem 0.5rem;}
#chatbot h2 {font-size: 1.1rem; margin: 0 0 0.4rem 0;}
.visually-hidden {position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
 white-space: nowrap;}
*:focus-visible {outline: 3px solid var(--color-accent) !important; outline-offset: 2px;}
@media (max-width: 768px) {
  .gradio-container {padding: 0.25rem 0.4rem !important;}
  #page-header {flex-wrap: wrap; row-gap: 0;}
  #status-line {flex-basis: 100%;}
  #status-line p {white-space: normal;}
  #send, #stop {min-width: 3.6rem !important; padding-left: 0.4rem; padding-right: 0.4rem;}
}
"""

# Runs once when the page has loaded (Gradio's `js=`): it must never throw.
JS = r"""
() => {
  const PHONE = __PHONE__;
  const panelToggle = () => document.querySelector('#side-panel .toggle-button, .sidebar .toggle-button');
  if (window.innerWidth <= PHONE) {
    const toggle = panelToggle();
    const panel = document.querySelector('.sidebar.open');
    if (toggle && panel) toggle.click();
  }
  const toggle = panelToggle();
  if (toggle) { toggle.setAttribute('aria-label', 'Side panel: account, tickets, watchlist, conversations'); }

  // The conversation takes the window's height that the header, notices and composer leave.
  const fit = () => {
    const bot = document.querySelector('#chatbot');
    if (!bot) return;
    const root = document.documentElement;
    const others = root.scrollHeight - bot.getBoundingClientRect().height;
    const height = Math.max(200, Math.floor(window.innerHeight - others));
    if (Math.abs(height - bot.getBoundingClientRect().height) > 1) root.style.setProperty('--chat-h', height + 'px');
  };
  window.addEventListener('resize', fit);
  setTimeout(fit, 0);

  // A polite live region: order outcomes and alerts are read out by screen readers.
  let live = document.getElementById('live-status');
  if (!live) {
    live = document.createElement('div');
    live.id = 'live-status'; live.className = 'visually-hidden';
    live.setAttribute('role', 'status'); live.setAttribute('aria-live', 'polite');
    document.body.appendChild(live);
  }
  const announced = new Set();
  const OUTCOME = /^\W*(Order placed|Filled at|Rejected|Expired|Refused)/;
  let firstPass = true;  // what a reload brings back is not news
  const announce = () => {
    const found = [];
    for (const el of document.querySelectorAll('#chatbot strong, .toast-body')) {
      const toast = el.classList.contains('toast-body');
      if (!toast && !OUTCOME.test(el.textContent)) continue;
      const text = ((toast ? el : el.parentElement).textContent || '').trim().slice(0, 200);
      if (!text || announced.has(text)) continue;
      announced.add(text);
      found.push(text);
    }
    if (found.length && !firstPass) live.textContent = found[found.length - 1];
    firstPass = false;
  };
  // Gradio widgets that axe-core flags: the empty chat's examples are a group of buttons, and a step's arrow
  // (a button inside the step's own button) is left to the step title, which already toggles it.
  const mend = () => {
    for (const el of document.querySelectorAll('#chatbot .examples[role="list"]')) {
      el.setAttribute('role', 'group'); el.setAttribute('aria-label', 'Examples');
    }
    for (const el of document.querySelectorAll('#chatbot [role="button"] .icon-button:not([aria-hidden])')) {
      el.setAttribute('aria-hidden', 'true'); el.setAttribute('tabindex', '-1'); el.disabled = true;
    }
    for (const el of document.querySelectorAll('#chatbot pre:not([tabindex]), #chatbot table:not([tabindex])')) {
      if (el.tagName === 'PRE' || el.scrollWidth > el.clientWidth) el.setAttribute('tabindex', '0');
    }
  };
  for (const el of document.querySelectorAll('#chatbot .examples')) { el.setAttribute('role', 'group'); }

  // Every chart gets a text summary beside it (title, period, last value, change), for everyone and for screen
  // readers (aria-describedby): read from the figure plotly drew.
  let charts = 0;
  const summarise = () => {
    for (const gd of document.querySelectorAll('#chatbot .js-plotly-plot:not([data-summary])')) {
      const data = gd._fullData || gd.data, layout = gd.layout || {};
      if (!data || !data.length) continue;
      const list = (v) => (Array.isArray(v) || ArrayBuffer.isView(v)) ? Array.from(v) : [];
      const trace = data.find(t => list(t.close).length || list(t.y).length) || data[0];
      const values = list(trace.close).length ? list(trace.close) : list(trace.y);
      const xs = list(trace.x);
      const title = (layout.title && (layout.title.text || layout.title)) || trace.name || 'Chart';
      let text = String(title).replace(/<[^>]*>/g, '');
      if (xs.length > 1) text += ` · ${String(xs[0]).slice(0, 10)} to ${String(xs[xs.length - 1]).slice(0, 10)}`;
      const numbers = values.filter(v => typeof v === 'number' && isFinite(v));
      if (numbers.length > 1) {
        const last = numbers[numbers.length - 1], first = numbers[0];
        const change = first ? ((last / first - 1) * 100) : 0;
        const shown = last.toLocaleString(undefined, {maximumFractionDigits: 2});
        text += ` · last ${list(trace.close).length ? 'close ' : ''}${shown}`
              + ` · ${change >= 0 ? '+' : ''}${change.toFixed(1)}% over the period`;
      }
      const caption = document.createElement('p');
      caption.className = 'chart-summary';
      caption.id = 'chart-summary-' + (++charts);
      caption.textContent = text;
      gd.setAttribute('data-summary', '1');
      gd.setAttribute('aria-describedby', caption.id);
      gd.after(caption);
    }
  };

  // Times written as UTC text by the server ("2026-12-07 15:37 UTC", "... 15:37:05 UTC") become <time> elements,
  // in the places that changed since the last pass. Only inside rendered markdown (.md: messages, cards, panels),
  // which Gradio replaces whole when it changes; never in a widget's own text (Svelte updates those nodes in place),
  // inputs or an existing <time>.
  const UTC_TEXT = /\b(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})? UTC\b/g;
  // A tool's plain-text block (a quote, an observation) is data and converts; code in any language is left as
  // written.
  const SKIP = 'script, style, textarea, input, time, .js-plotly-plot, [contenteditable], code:not(.language-text)';
  const utcTexts = (root) => {
    if (!root || !root.isConnected) return;
    const base = root.nodeType === Node.ELEMENT_NODE ? root : root.parentElement;
    if (!base || (base.closest && base.closest(SKIP))) return;
    const found = [];
    const walker = document.createTreeWalker(base, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (node.nodeValue.includes(' UTC') && parent && parent.closest('.md') && !parent.closest(SKIP)) {
        found.push(node);
      }
    }
    for (const node of found) {
      const text = node.nodeValue;
      UTC_TEXT.lastIndex = 0;
      if (!UTC_TEXT.test(text)) continue;
      const parts = document.createDocumentFragment();
      let at = 0;
      UTC_TEXT.lastIndex = 0;
      for (const match of text.matchAll(UTC_TEXT)) {
        parts.append(text.slice(at, match.index));
        const el = document.createElement('time');
        el.setAttribute('datetime', `${match[1]}T${match[2]}${match[3] || ''}Z`);
        el.textContent = match[0];
        parts.append(el);
        at = match.index + match[0].length;
      }
      parts.append(text.slice(at));
      node.replaceWith(parts);
    }
  };

  // Times in the browser's zone, UTC on hover: <time datetime="...ISO...">.
  const localTimes = (root) => {
    for (const el of root.querySelectorAll('time[datetime]:not([data-local])')) {
      const when = new Date(el.getAttribute('datetime'));
      if (isNaN(when)) continue;
      const short = when.toDateString() === new Date().toDateString();
      el.title = when.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
      el.textContent = short ? when.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})
                             : when.toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'});
      el.dataset.local = '1';
    }
  };

  // Stick to the newest message after a send and while charts render, until the person scrolls up.
  let stick = true;
  let ours = 0;
  let scrollBox = null;
  const scroller = () => {  // the chat's scrolling box, found once (a few levels under #chatbot, never in a chart)
    if (scrollBox && scrollBox.isConnected) return scrollBox;
    const bot = document.querySelector('#chatbot');
    if (!bot) return null;
    let level = [bot];
    for (let depth = 0; depth < 5 && level.length; depth++) {
      for (const el of level) {
        const style = getComputedStyle(el);
        if (style.overflowY === 'auto' || style.overflowY === 'scroll') return (scrollBox = el);
      }
      level = level.flatMap(el => [...el.children]);
    }
    return null;
  };
  const toBottom = () => {
    const el = scroller();
    if (!el || !stick) return;
    ours = Date.now();
    el.scrollTop = el.scrollHeight;
  };
  const watchScroll = () => {
    const el = scroller();
    if (!el || el.dataset.watched) return;
    el.dataset.watched = '1';
    el.addEventListener('scroll', () => {
      if (Date.now() - ours < 300) return;
      stick = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    }, {passive: true});
  };
  const sent = () => { stick = true; setTimeout(toBottom, 50); };
  document.addEventListener('click', (e) => {
    if (e.target.closest('#send') || e.target.closest('#chatbot .options') || e.target.closest('#conversations')
        || e.target.closest('#chatbot .examples, #chatbot .example')) sent();
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && e.target.closest && e.target.closest('#message')) sent();
  }, true);
  let pending = null;
  const touched = new Set([document.body]);  // where the page changed since the last pass
  const changed = (records) => {  // at most ten times a second, whatever the number of changes
    if (Array.isArray(records)) {
      for (const record of records) if (record instanceof MutationRecord) touched.add(record.target);
    }
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      const roots = [...touched];
      touched.clear();
      for (const root of roots) {
        try { utcTexts(root); } catch (error) { console.warn('smol-trader page script:', error); }
      }
      for (const step of [localTimes, mend, summarise, announce, fit, watchScroll, toBottom]) {
        try { step(document); } catch (error) { console.warn('smol-trader page script:', error); }
      }
    }, 100);
  };
  new MutationObserver(changed).observe(document.body, {childList: true, subtree: true, characterData: true});
  const sizes = new ResizeObserver(changed);
  const observeBot = () => { const bot = document.querySelector('#chatbot'); if (bot) sizes.observe(bot); };
  observeBot();
  setInterval(() => { for (const p of document.querySelectorAll('#chatbot .js-plotly-plot:not([data-sized])')) {
    p.dataset.sized = '1'; sizes.observe(p); } }, 500);
  changed();
}
""".replace("__PHONE__", str(PHONE_MAX_PX))
