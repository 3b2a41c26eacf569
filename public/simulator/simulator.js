/* global document */
// The chat simulator's page (served with a strict CSP: no inline script). Its words come
// from locales/<lang>/simulator.json through /simulator/api/texts; the conversation lives on
// the server (a reload fetches it), the page keeps only the session id the server issued.
(() => {
  const log = document.getElementById('log');
  const textInput = document.getElementById('text');
  const languageSelect = document.getElementById('language');
  const more = document.getElementById('more');
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  let texts = null;
  // Indonesian first: English only when chosen (here or with BAHASA in the chat).
  let lang = localStorage.getItem('suaradesa.language') === 'en' ? 'en' : 'id';
  /** The language the bot speaks to this person (null: no conversation yet). */
  let memberLanguage = null;
  let sessionId = localStorage.getItem('suaradesa.session');
  /** The last transcript entry seen: reminders and broadcasts after it are fetched. */
  let inboxSeq = 0;

  function word(key, params) {
    const bundle = (texts && (texts[lang] || texts.id)) || {};
    const text = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), bundle);
    if (typeof text !== 'string') return key;
    return text.replace(/\{\{(\w+)\}\}/g, (_m, name) => String((params && params[name]) ?? ''));
  }

  function applyWords() {
    document.documentElement.lang = lang;
    languageSelect.value = lang;
    if (!texts) return;
    document.title = word('pageTitle');
    document.querySelectorAll('[data-i18n]').forEach((el) => (el.textContent = word(el.dataset.i18n)));
    for (const attr of ['placeholder', 'title', 'aria-label']) {
      const data = 'i18n' + attr.replace(/(^|-)(\w)/g, (_m, _d, c) => c.toUpperCase());
      document.querySelectorAll('[data-i18n-' + attr + ']').forEach((el) => el.setAttribute(attr, word(el.dataset[data])));
    }
  }

  function setLanguage(next) {
    lang = next === 'en' ? 'en' : 'id';
    localStorage.setItem('suaradesa.language', lang);
    applyWords();
  }

  /** The newest question (with all its buttons) in view, just above the input bar. */
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /** Text with its web addresses as links (the sign-in link of MASUK); everything else stays text. */
  function withLinks(div, text) {
    const parts = String(text).split(/(https?:\/\/[^\s<>"]+)/);
    parts.forEach((part, i) => {
      if (i % 2 === 0) return void (part && div.appendChild(document.createTextNode(part)));
      const a = document.createElement('a');
      a.href = part;
      a.textContent = part;
      a.target = '_blank';
      a.rel = 'noopener';
      div.appendChild(a);
    });
  }

  function bubble(text, who) {
    const div = document.createElement('div');
    div.className = 'msg ' + who;
    withLinks(div, text);
    log.appendChild(div);
    scrollToEnd();
    return div;
  }

  function warn(text) {
    const div = bubble('⚠️ ' + text, 'warn');
    div.dataset.testid = 'warning';
    return div;
  }

  let liveButtons = [];
  function disableOldButtons() {
    liveButtons = [...log.querySelectorAll('.choices button:not(:disabled), .choices label:not(.disabled)')];
    liveButtons.forEach((b) => (b.tagName === 'LABEL' ? b.classList.add('disabled') : (b.disabled = true)));
  }
  /** The message did not reach the bot: the question's buttons work again. */
  function enableButtonsAgain() {
    liveButtons.forEach((b) => (b.tagName === 'LABEL' ? b.classList.remove('disabled') : (b.disabled = false)));
    liveButtons = [];
  }

  function actionButton(box, key, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'action';
    button.dataset.i18n = key;
    button.dataset.testid = key === 'sendLocation' ? 'send-location' : key;
    button.textContent = word(key);
    button.addEventListener('click', onClick);
    box.appendChild(button);
    return button;
  }

  /** The server's file id for the photo, or null (a warning says why). */
  async function uploadPhoto(file) {
    try {
      const response = await fetch('/simulator/api/photo?sessionId=' + encodeURIComponent(sessionId), {
        method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file,
      });
      let data = {};
      try { data = await response.json(); } catch { /* not JSON */ }
      if (response.ok && data.fileId) return data.fileId;
      warn(data.message || String(response.status));
    } catch {
      warn(word('offline'));
    }
    return null;
  }

  function photoButton(box) {
    const label = document.createElement('label');
    label.className = 'action';
    label.dataset.testid = 'send-photo';
    const caption = document.createElement('span');
    caption.dataset.i18n = 'sendPhoto';
    caption.textContent = word('sendPhoto');
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'image/*';
    input.addEventListener('change', async () => {
      const file = input.files[0];
      if (!file || label.classList.contains('disabled')) return;
      input.value = '';
      // The photo itself goes first (stored as a Telegram photo is); the answer names it.
      const fileId = await uploadPhoto(file);
      if (fileId) send({ kind: 'photo', fileId }, word('photo'));
    });
    label.append(caption, input);
    box.appendChild(label);
  }

  function showBot(message, live) {
    const div = bubble(message.text, 'bot');
    div.dataset.testid = 'bot-message';
    const box = document.createElement('div');
    box.className = 'choices';
    const selected = new Set((message.multiple && message.multiple.selected) || []);
    for (const choice of message.choices || []) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = choice.label;
      if (selected.has(choice.id)) button.classList.add('selected');
      button.addEventListener('click', () => send({ kind: 'choice', promptSeq: message.promptSeq, choiceId: choice.id }, choice.label));
      box.appendChild(button);
    }
    if (message.expect === 'location') {
      // A fixed point near Waru, Teluk Waru: the simulator does not ask the browser for GPS.
      actionButton(box, 'sendLocation', () => send({ kind: 'location', latitude: -3.5167, longitude: 130.6667 }, word('sharedLocation')));
    }
    if (message.expect === 'photo') photoButton(box);
    if (box.childElementCount) div.appendChild(box);
    if (!live) box.querySelectorAll('button').forEach((b) => (b.disabled = true));
    if (!live) box.querySelectorAll('label').forEach((l) => l.classList.add('disabled'));
    scrollToEnd();
  }

  /** What the bot said last decides the language: BAHASA in the chat moves the picker too. */
  function followBot(messages) {
    const spoken = messages.map((m) => m.language).filter(Boolean).pop();
    if (!spoken) return;
    memberLanguage = spoken;
    if (spoken !== lang) setLanguage(spoken);
  }

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await response.json(); } catch { /* not JSON */ }
    return { status: response.status, ok: response.ok, data };
  }

  async function newSession() {
    const { ok, data } = await call('POST', '/simulator/api/session');
    if (!ok) throw new Error(data.message || 'session');
    sessionId = data.sessionId;
    localStorage.setItem('suaradesa.session', sessionId);
    memberLanguage = null;
    inboxSeq = 0;
  }

  async function startOver(notice) {
    log.innerHTML = '';
    await newSession();
    if (notice) warn(notice);
  }

  async function post(content, messageId, hint) {
    const body = { sessionId, messageId, content, language: hint };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await call('POST', '/simulator/api/send', body);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
      }
    }
    return null;
  }

  /** `hint`: the language a person new to the bot starts in. */
  async function send(content, shown, hint = lang) {
    disableOldButtons();
    bubble(shown, 'me');
    let result = await post(content, newId(), hint);
    if (result && result.data.error === 'unknown_session') {
      // The server no longer knows this session (a new database): start again and resend.
      try {
        await startOver(word('newSession'));
        bubble(shown, 'me');
        result = await post(content, newId(), hint);
      } catch {
        result = null;
      }
    }
    if (!result) {
      enableButtonsAgain();
      return warn(word('offline'));
    }
    if (!result.ok) {
      enableButtonsAgain();
      return warn(result.data.message || String(result.status));
    }
    liveButtons = [];
    result.data.replies.forEach((m) => showBot(m, true));
    followBot(result.data.replies);
  }

  function render(entries) {
    let lastPerson = -1;
    entries.forEach((e, i) => { if (e.from === 'person') lastPerson = i; });
    entries.forEach((entry, i) => {
      if (entry.from === 'person') bubble(entry.text, 'me');
      else if (entry.from === 'note') bubble(entry.text, 'note');
      else showBot(entry.message, i > lastPerson);
    });
  }

  async function load() {
    try {
      texts = (await call('GET', '/simulator/api/texts')).data;
    } catch { /* the words in the page stay Indonesian */ }
    applyWords();
    try {
      if (!sessionId) await newSession();
      const transcript = () => call('GET', '/simulator/api/transcript?sessionId=' + encodeURIComponent(sessionId) + '&lang=' + lang);
      let result = await transcript();
      if (result.data.error === 'unknown_session') {
        await startOver(word('newSession'));
        result = await transcript();
      }
      if (!result.ok) return warn(result.data.message || String(result.status));
      render(result.data.entries);
      inboxSeq = result.data.lastSeq;
      if (result.data.language) {
        memberLanguage = result.data.language;
        setLanguage(memberLanguage);
      }
      document.body.dataset.ready = 'true';
    } catch {
      warn(word('offline'));
    }
  }

  document.getElementById('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (!text) return;
    textInput.value = '';
    send({ kind: 'text', text }, text);
  });

  // Picking a language does what BAHASA does: the bot switches too (once there is a conversation).
  languageSelect.addEventListener('change', () => {
    const wanted = languageSelect.value;
    setLanguage(wanted);
    // (Hinting the old language: should the bot have forgotten the person meanwhile, BAHASA still ends in the one picked.)
    if (memberLanguage && memberLanguage !== wanted) send({ kind: 'text', text: 'bahasa' }, 'bahasa', memberLanguage);
  });

  for (const role of ['pokja', 'fasilitator']) {
    document.getElementById('code-' + role).addEventListener('click', async () => {
      more.open = false;
      const { ok, data } = await call('POST', '/simulator/api/role-code', { sessionId, role, language: lang });
      if (ok) bubble(data.text, 'note');
      else warn(data.message || 'error');
    });
  }

  document.getElementById('reset').addEventListener('click', async () => {
    more.open = false;
    try {
      await startOver(null);
    } catch (err) {
      warn(err.message);
    }
  });

  // Reminders and broadcasts arrive outside a reply: fetch them every few seconds.
  setInterval(async () => {
    if (!sessionId || !document.body.dataset.ready) return;
    try {
      const { ok, data } = await call('GET', '/simulator/api/inbox?sessionId=' + encodeURIComponent(sessionId) + '&after=' + inboxSeq + '&lang=' + lang);
      if (!ok) return;
      for (const entry of data.messages) {
        inboxSeq = Math.max(inboxSeq, entry.seq);
        showBot(entry.message, true);
      }
      if (data.messages.length) followBot(data.messages.map((e) => e.message));
    } catch { /* offline: try again next time */ }
  }, 5000);

  load();
})();
