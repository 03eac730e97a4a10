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
JS = """
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
  const scroller = () => {
    const bot = document.querySelector('#chatbot');
    if (!bot) return null;
    for (const el of bot.querySelectorAll('*')) {
      const style = getComputedStyle(el);
      if ((style.overflowY === 'auto' || style.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 2)
        return el;
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
  const changed = () => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = null;
      localTimes(document);
      fit();
      watchScroll();
      toBottom();
    });
  };
  new MutationObserver(changed).observe(document.body, {childList: true, subtree: true});
  const sizes = new ResizeObserver(changed);
  const observeBot = () => { const bot = document.querySelector('#chatbot'); if (bot) sizes.observe(bot); };
  observeBot();
  setInterval(() => { for (const p of document.querySelectorAll('#chatbot .js-plotly-plot:not([data-sized])')) {
    p.dataset.sized = '1'; sizes.observe(p); } }, 500);
  changed();
}
""".replace("__PHONE__", str(PHONE_MAX_PX))
