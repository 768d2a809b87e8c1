// frontdesk web chat widget. Put on a page with:
//   <script src="https://your-frontdesk/widget.js" data-key="pk_…" async></script>
// It adds a chat button; the conversation goes over a WebSocket to the server the script came
// from, and a visitor id kept in this browser continues the same thread after a reload or a
// dropped connection. Everything lives in a shadow root, so the page's styles and ours do not mix.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.key || window.__frontdeskChat) return;
  window.__frontdeskChat = true;
  var key = script.dataset.key;
  var base = new URL(script.src, location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/widget/ws";

  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var store = "frontdesk:visitor:" + key;
  var visitor;
  try {
    visitor = localStorage.getItem(store);
    if (!visitor) { visitor = randomId(16); localStorage.setItem(store, visitor); }
  } catch (e) {
    visitor = randomId(16); // storage blocked: the thread lasts as long as the page
  }

  var host = document.createElement("div");
  host.id = "frontdesk-chat";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;display:flex;align-items:center;justify-content:center;" +
    "background:#1f6feb;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:360px;height:520px;max-height:calc(100vh - 108px);background:#fff;" +
    "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:none;flex-direction:column;overflow:hidden;z-index:2147483647}" +
    ".panel.open{display:flex}" +
    "header{background:#1f6feb;color:#fff;padding:12px 14px;display:flex;align-items:center;justify-content:space-between;font-weight:600}" +
    "header button{background:none;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f8fa;display:flex;flex-direction:column;gap:8px}" +
    ".msg{max-width:85%;padding:8px 11px;border-radius:12px;font-size:14px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}" +
    ".agent{background:#fff;border:1px solid #d0d7de;align-self:flex-start}" +
    ".caller{background:#1f6feb;color:#fff;align-self:flex-end}" +
    ".note{align-self:center;font-size:12px;color:#57606a}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #d0d7de;background:#fff}" +
    "form.contact{flex-direction:column}" +
    "input{flex:1;min-width:0;padding:9px 10px;border:1px solid #d0d7de;border-radius:8px;font-size:16px}" +
    "form button{padding:9px 14px;border:0;border-radius:8px;background:#1f6feb;color:#fff;font-size:15px;cursor:pointer}" +
    ".hidden{display:none}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:100%;border-radius:0}}" +
    "</style>" +
    "<button class='bubble' aria-label='Chat with us'><svg viewBox='0 0 24 24' width='28' height='28' fill='currentColor' aria-hidden='true'>" +
    "<path d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z'/></svg></button>" +
    "<section class='panel' role='dialog' aria-label='Chat'>" +
    "<header><span class='title'>Chat with us</span><button class='close' aria-label='Close'>&times;</button></header>" +
    "<div class='log' aria-live='polite'></div>" +
    "<form class='contact hidden'>" +
    "<input name='name' autocomplete='name' placeholder='Your name' required>" +
    "<input name='phone' type='tel' autocomplete='tel' placeholder='Phone number' required>" +
    "<input name='email' type='email' autocomplete='email' placeholder='E-mail (optional)'>" +
    "<button type='submit'>Send my details</button></form>" +
    "<form class='say'><input name='text' autocomplete='off' placeholder='Type a message' maxlength='2000'>" +
    "<button type='submit'>Send</button></form>" +
    "</section>";
  var $ = function (s) { return root.querySelector(s); };
  var panel = $(".panel"), log = $(".log"), sayForm = $("form.say"), contact = $("form.contact");
  var input = sayForm.elements.text;

  var ws = null, opened = false, backoff = 500, counter = 0;
  var outbox = []; // {id, text}: sent, not yet answered
  var streaming = null; // the agent bubble being filled

  function add(cls, text) {
    var d = document.createElement("div");
    d.className = "msg " + cls;
    if (cls === "note") d.className = "note";
    d.textContent = text;
    log.appendChild(d);
    log.scrollTop = log.scrollHeight;
    return d;
  }
  function asking(what) {
    // The agent asks for the visitor's name or number: offer the contact form.
    var lead = what === "name" || what === "phone";
    contact.classList.toggle("hidden", !lead);
    if (lead) contact.elements.name.focus();
  }
  function send(text) {
    var m = { type: "say", id: "m" + Date.now().toString(36) + (counter++), text: text };
    outbox.push(m);
    add("caller", text);
    streaming = null;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(m));
  }
  function connect() {
    ws = new WebSocket(wsUrl + "?key=" + encodeURIComponent(key) + "&visitor=" + visitor);
    ws.onopen = function () { backoff = 500; };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "history") {
        log.textContent = "";
        if (m.business) $(".title").textContent = m.business;
        m.messages.forEach(function (x) { add(x.role === "caller" ? "caller" : "agent", x.text); });
        asking(m.asking);
        // What was sent while the connection was down goes again; the server takes each once.
        outbox.forEach(function (o) { o.shown = false; ws.send(JSON.stringify(o)); });
      } else if (m.type === "delta") {
        var own = outbox.filter(function (o) { return o.id === m.id; })[0];
        if (own && own.shown === false) { add("caller", own.text); own.shown = true; streaming = null; }
        if (!streaming) {
          streaming = add("agent", "");
          // Still arriving: screen readers wait, and so can anything reading the log.
          streaming.setAttribute("aria-busy", "true");
        }
        streaming.textContent += m.text;
        log.scrollTop = log.scrollHeight;
      } else if (m.type === "reply") {
        if (m.duplicate) {
          // Taken before the connection dropped: the history already shows it.
          outbox = outbox.filter(function (o) { return o.id !== m.id; });
          return;
        }
        var mine = outbox.filter(function (o) { return o.id === m.id; })[0];
        if (mine && mine.shown === false) { add("caller", mine.text); streaming = null; }
        // A person of the business holds the thread: their answer comes as a "staff" message.
        if (m.text) {
          if (!streaming) streaming = add("agent", "");
          streaming.textContent = m.text;
          streaming.removeAttribute("aria-busy");
        }
        streaming = null;
        outbox = outbox.filter(function (o) { return o.id !== m.id; });
        asking(m.asking);
        if (m.ended) add("note", "The conversation has ended. Type to start again.");
      } else if (m.type === "staff") {
        streaming = null;
        add("agent", m.text);
      } else if (m.type === "error") {
        if (m.code !== "unavailable") outbox = outbox.filter(function (o) { return o.id !== m.id; });
        add("note", m.message);
      }
    };
    ws.onclose = function () {
      ws = null;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }
  $(".bubble").addEventListener("click", function () {
    panel.classList.toggle("open");
    if (!opened) { opened = true; connect(); }
    if (panel.classList.contains("open")) input.focus();
  });
  $(".close").addEventListener("click", function () { panel.classList.remove("open"); });
  sayForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var t = input.value.trim();
    if (!t) return;
    input.value = "";
    send(t);
  });
  contact.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = contact.elements;
    var parts = [f.name.value.trim(), f.phone.value.trim(), f.email.value.trim()].filter(Boolean);
    contact.classList.add("hidden");
    send(parts.join(", "));
  });
  (document.body || document.documentElement).appendChild(host);
})();
