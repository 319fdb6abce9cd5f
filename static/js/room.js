/* The live meeting room. The page embeds the room's whole state with the number of the
   last event it includes; the socket then delivers every later event, in order. A phone
   that reconnects sends the last number it saw and receives what it missed; a gap (an
   event arriving early) is filled by asking for the events after the last one applied.
   Every handler is idempotent: an event already in the embedded state changes nothing.
   The events and their data fields are those of consult/meetings/schema.py (EVENTS, TALLY);
   the quorum comes decided from the server (present, expected, quorum_met), and the words
   of the system (a ballot's marks and explanation) come worded in this reader's language. */
(function () {
  "use strict";
  const state = JSON.parse(document.getElementById("room-state").textContent);
  const T = JSON.parse(document.getElementById("room-text").textContent);
  const me = state.me;
  const $ = (id) => document.getElementById(id);
  const isOpen = () => state.meeting.state === "live" || state.meeting.state === "paused";
  let seq = state.seq;
  let asking = false;

  const socket = io({
    transports: ["websocket"],
    auth: (cb) => cb({meeting: state.meeting.id, last_seq: seq}),
  });
  window.consultRoom = {state: state, socket: socket, seq: () => seq, received: 0};

  function status(text, cls) {
    const el = $("connection");
    el.textContent = text;
    el.className = "connection " + (cls || "");
  }
  socket.on("connect", () => {
    status(T.connected, "ok");
    if (!me.signed_in && state.meeting.state !== "ended" && state.meeting.state !== "cancelled") act("sign_in");
  });
  socket.on("disconnect", () => status(T.lost, "warn"));
  // A refused handshake names its reason: see consult/meetings/live.py connect(). A server
  // that refuses does not get asked again by the client library on its own: when the
  // refusal is passing ("busy": a crowd arriving at once; "server_error"), ask again after
  // a pause that grows and differs from one phone to the next, so that they do not all
  // come back together.
  let retryDelay = 1000;
  socket.on("connect", () => { retryDelay = 1000; });
  socket.on("connect_error", (err) => {
    const reason = err && err.message;
    status(["not_invited", "unauthorized", "malformed"].includes(reason) ? T.refused : T.lost, "warn");
    if (!socket.active && ["busy", "server_error"].includes(reason)) {
      setTimeout(() => { if (!socket.connected) socket.connect(); }, retryDelay * (0.5 + Math.random()));
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  });
  socket.on("signed_out", () => { status(T.signed_out, "warn"); socket.disconnect(); });
  socket.on("event", (ev) => receive([ev]));
  socket.on("events", (evs) => receive(evs));
  socket.on("tally", (t) => {
    const b = state.ballots.find((x) => x.ballot === t.ballot);
    window.consultRoom.received += 1;
    if (b && b.state === "open") { b.tally = t; renderBallots(); }
  });

  function receive(events) {
    window.consultRoom.received += events.length;
    events.sort((a, b) => a.seq - b.seq);
    for (const ev of events) {
      if (ev.seq <= seq) continue;
      if (ev.seq > seq + 1) { askSince(); break; }
      apply(ev);
      seq = ev.seq;
    }
    render();
  }

  function askSince() {
    if (asking) return;
    asking = true;
    socket.emit("since", {seq: seq}, (answer) => {
      asking = false;
      if (answer && answer.ok) receive(answer.events);
    });
  }

  function upsert(list, key, value) {
    const i = list.findIndex((x) => x[key] === value[key]);
    if (i < 0) list.push(value); else list[i] = Object.assign(list[i], value);
  }

  function apply(ev) {
    const d = ev.data;
    const m = state.meeting;
    switch (ev.kind) {
      case "signed_in":
        upsert(state.attendance, "user", {user: d.user, name: d.name, role: d.role, in_person: d.in_person,
          invited: d.invited});
        if (d.user === me.id) me.signed_in = true;
        Object.assign(state, {present: d.present, expected: d.expected, quorum_met: d.quorum_met});
        break;
      case "start": case "pause": case "resume": case "end":
        m.state = d.state;
        if (d.item) m.item = d.item;
        if (ev.kind === "end") { state.floor = null; state.hands = []; state.speakers_open = false; }
        break;
      case "cancelled": m.state = "cancelled"; break;
      case "item": m.item = d.item; break;
      case "decision": {
        const item = state.agenda.find((i) => i.id === d.item);
        if (item) item.decision = d.text;
        break;
      }
      case "speakers": state.speakers_open = d.open; if (!d.open) state.hands = []; break;
      case "hand_raised": upsert(state.hands, "user", {user: d.user, name: d.name}); break;
      case "hand_lowered": state.hands = state.hands.filter((h) => h.user !== d.user); break;
      case "hands_lowered": state.hands = []; break;
      case "floor":
        state.floor = d.user ? {user: d.user, name: d.name, until: d.until} : null;
        state.hands = state.hands.filter((h) => h.user !== d.user);
        break;
      case "statement":
        upsert(state.statements, "id", {id: d.id, item: d.item, user: d.user, name: d.name, body: d.body, reason: null});
        break;
      case "statement_hidden": {
        const s = state.statements.find((x) => x.id === d.id);
        if (s) { s.body = null; s.reason = d.reason; }
        break;
      }
      case "ballot_opened":
        if (!state.ballots.some((b) => b.ballot === d.ballot)) {
          state.ballots.push({ballot: d.ballot, question: d.question, choices: d.choices, kind: d.kind,
            max_choices: d.max_choices, secret: d.secret, state: "open", can_vote: me.signed_in, voted: false,
            tally: {ballot: d.ballot, cast: 0, eligible: d.voters}});
        }
        break;
      case "ballot_closed": {
        const b = state.ballots.find((x) => x.ballot === d.ballot);
        if (b) Object.assign(b, {state: "closed", passed: d.passed, winners: d.winners, explanation: d.explanation,
          marks: d.marks, cast: d.cast, eligible: d.eligible});
        break;
      }
      default: break;
    }
  }

  /* An action; its refusal is shown in ``form`` (until the next try) when it came from
     one, else in the status line for a few seconds. */
  function act(action, data, done, form) {
    const error = form && form.querySelector(".form-error");
    if (error) error.hidden = true;
    socket.emit("act", Object.assign({action: action}, data || {}), (answer) => {
      if (!answer || !answer.ok) {
        const message = (answer && answer.error && answer.error.message) || T.lost;
        if (error) { error.textContent = message; error.hidden = false; }
        else {
          status(message, "warn");
          setTimeout(() => status(socket.connected ? T.connected : T.lost, socket.connected ? "ok" : "warn"), 4000);
        }
      }
      if (done) done(answer || {});
    });
  }
  window.consultRoom.act = act;

  /* --- drawing ----------------------------------------------------------------------- */

  /* The room is drawn as DOM nodes: what people wrote (titles, names, statements, ballot
     questions and options) only ever becomes text, never markup. ``h`` makes an element;
     its children are nodes or text, null and false are left out, arrays are flattened. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) el.setAttribute(name, value === true ? "" : String(value));
    }
    put(el, children);
    return el;
  }

  function put(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  const fill = (id, ...children) => { $(id).replaceChildren(); put($(id), children); };
  const spaced = (nodes) => nodes.flatMap((node, i) => (i ? [" ", node] : [node]));

  function button(label, action, data, cls) {
    return h("button", {type: "button", class: `button ${cls || ""}`, "data-act": action,
      "data-args": JSON.stringify(data || {})}, label);
  }

  function roleLabel(role) { return T["role_" + role] || T.role_guest; }

  /* Only what changed is drawn again. A part without inputs is rebuilt when what it shows
     changed (``section``); lists keep their rows by key (``keyed``); forms (the decision,
     signing someone in, a vote being chosen, speaking times) are built once and only shown
     or hidden, so that a tally ten times a second never takes what a person typed or
     chose, nor their focus. */
  const drawn = new Map();
  function section(id, signature, build) {
    const sig = JSON.stringify(signature);
    if (drawn.get(id) === sig) return;
    drawn.set(id, sig);
    fill(id, build());
  }

  function keyed(list, items, keyOf, create) {
    const old = new Map();
    for (const el of Array.from(list.children)) {
      if (el.dataset.key == null) el.remove(); else old.set(el.dataset.key, el);
    }
    const wanted = items.map((item) => {
      const key = String(keyOf(item));
      let el = old.get(key);
      if (el) old.delete(key);
      else { el = create(item); el.dataset.key = key; }
      return el;
    });
    old.forEach((el) => el.remove());
    wanted.forEach((el, i) => { if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null); });
  }

  function part(parent, tag, attrs) {   // a child made once and kept
    const cls = attrs.class.split(" ")[0];
    let el = parent.querySelector(":scope > ." + cls);
    if (!el) { el = h(tag, attrs); parent.append(el); }
    return el;
  }

  const busy = (el) => el && (el === document.activeElement || el.contains(document.activeElement) ||
    Array.from(el.querySelectorAll("input, textarea")).some((i) => (i.type === "radio" || i.type === "checkbox") ? i.checked : i.value));

  function render() {
    const m = state.meeting;
    $("meeting-state").textContent = T["state_" + m.state];
    $("meeting-state").className = "tag meeting-" + m.state;
    section("quorum", [state.present, state.expected, state.quorum_met, m.quorum], () => [
      `${state.present} ${T.present} / ${state.expected} ${T.invited}`,
      m.quorum !== "none" ? [" · ", h("strong", {class: state.quorum_met ? "ok" : "warn"},
        state.quorum_met ? T.quorum_met : T.quorum_missing)] : null]);

    if (me.run) renderConsole();
    renderItem();

    section("floor", [state.floor, me.run, isOpen()], () => state.floor
      ? [h("p", {class: "floor"}, h("strong", {}, state.floor.name), ` ${T.has_floor} `,
          h("span", {class: "timer", "data-until": state.floor.until || ""})),
        me.run && isOpen() ? button(T.take_floor, "take_floor") : null]
      : h("p", {class: "muted"}, T.nobody_floor));
    renderHands();

    const statements = state.statements.filter((s) => s.item === m.item);
    section("statements", [statements, me.run], () => statements.length
      ? statements.map((s) => h("li", {"data-id": s.id}, h("strong", {}, s.name), " ",
          s.body == null ? h("span", {class: "muted"}, `${T.hidden} ${s.reason == null ? "" : s.reason}`) : s.body,
          me.run && s.body != null ? [" ", button(T.hide, "hide_statement", {id: s.id}, "small link")] : null))
      : h("li", {class: "muted"}, T.no_statements));
    $("statement-form").hidden = !(me.signed_in && m.state === "live");

    section("agenda", [state.agenda, m.item, me.run, isOpen()], () => state.agenda.map((i) => h("li",
      {class: i.id === m.item ? "current" : null}, i.title,
      i.id === m.item ? [" ", h("span", {class: "tag"}, T.current)] : null,
      me.run && isOpen() && i.id !== m.item ? [" ", button(T.make_current, "item", {item: i.id}, "small")] : null,
      i.decision ? h("p", {class: "reason"}, `${T.decision}: ${i.decision}`) : null)));

    section("attendance", state.attendance, () => state.attendance.map((a) => h("li", {}, `${a.name} `,
      h("span", {class: "tag"}, roleLabel(a.role)), " ", h("span", {class: "muted"}, a.in_person ? T.in_person : T.online))));

    renderBallots();
    tickTimer();
  }

  function renderItem() {
    const m = state.meeting;
    const box = $("current-item");
    const view = part(box, "div", {class: "item-view"});
    const item = state.agenda.find((i) => i.id === m.item);
    const first = state.agenda[0];
    const sig = [item, m.state, first && first.title];
    if (view.dataset.sig !== JSON.stringify(sig)) {
      view.dataset.sig = JSON.stringify(sig);
      view.replaceChildren();
      put(view, [item
        ? [h("p", {class: "current-title"}, item.title),
          item.proposal ? h("p", {}, h("a", {href: "/proposals/" + Number(item.proposal)}, `${T.matter} #${item.proposal}`)) : null,
          item.decision ? h("p", {class: "reason"}, `${T.decision}: ${item.decision}`) : null]
        : first && m.state === "scheduled"
          ? [h("p", {class: "muted"}, T.not_started), h("p", {class: "current-title"}, `${T.first_item}: ${first.title}`)]
          : h("p", {class: "muted"}, state.agenda.length ? T.no_current : T.no_item)]);
    }
    if (!me.run) return;
    let form = box.querySelector(".decision-form");
    if (!form) {
      form = h("form", {class: "decision-form"},
        h("label", {for: "decision-text"}, T.decision), h("textarea", {id: "decision-text", rows: 2, maxlength: 2000}),
        h("button", {type: "submit", class: "button"}, T.record_decision), h("p", {class: "form-error", role: "alert", hidden: true}));
      box.append(form);
    }
    form.hidden = !(item && isOpen());
    if (item && !busy(form)) form.dataset.item = item.id;   // a decision being written stays with its item
  }

  function renderHands() {
    const m = state.meeting;
    const box = $("hands");
    const closed = part(box, "p", {class: "speakers-closed muted"});
    closed.textContent = T.speakers_closed;
    closed.hidden = state.speakers_open;
    const list = part(box, "ol", {class: "hands"});
    list.hidden = !state.speakers_open || !state.hands.length;
    keyed(list, state.speakers_open ? state.hands : [], (x) => `${x.user}:${me.run}`, (x) => h("li", {}, `${x.name} `,
      me.run ? [h("input", {type: "number", class: "seconds", min: 10, max: 1800, step: 10, placeholder: "120",
                            "aria-label": T.seconds, "data-user": x.user}),
                button(T.give_floor, "give_floor", {user: x.user}, "small primary"),
                button(T.lower, "lower_hand", {user: x.user}, "small")] : null));
    const none = part(box, "p", {class: "no-hands muted"});
    none.textContent = T.no_hands;
    none.hidden = !state.speakers_open || state.hands.length > 0;
    const mine = part(box, "div", {class: "my-hand"});
    const raised = state.hands.some((x) => x.user === me.id);
    const sig = JSON.stringify([state.speakers_open, me.signed_in, m.state, raised]);
    if (mine.dataset.sig !== sig) {
      mine.dataset.sig = sig;
      mine.replaceChildren();
      if (state.speakers_open && me.signed_in && m.state === "live") {
        mine.append(raised ? button(T.lower_hand, "lower_hand") : button(T.raise_hand, "raise_hand", {}, "primary"));
      }
    }
  }

  function renderConsole() {
    const m = state.meeting;
    const steps = {scheduled: ["start"], live: ["pause", "end"], paused: ["resume", "end"]}[m.state] || [];
    section("state-buttons", steps, () => spaced(steps.map((s) => button(T[s], s, {}, s === "end" ? "danger" : "primary"))));
    section("speaker-buttons", [isOpen(), state.speakers_open], () => isOpen()
      ? (state.speakers_open ? spaced([button(T.close_speakers, "speakers", {open: false}), button(T.lower_all, "lower_all")])
                             : button(T.open_speakers, "speakers", {open: true}))
      : null);
    const box = $("present-form");
    let form = box.querySelector("form");
    if (!form && state.meeting.form !== "online") {
      form = h("form", {class: "present-form"}, h("label", {for: "present-handle"}, T.mark_present),
        h("input", {id: "present-handle", autocomplete: "off"}), h("button", {type: "submit", class: "button small"}, T.mark),
        h("p", {class: "form-error", role: "alert", hidden: true}));
      box.append(form);
    }
    if (form) form.hidden = m.state === "ended" || m.state === "cancelled";
    $("ballot-form-box").hidden = m.state !== "live";
  }

  function renderBallots() {
    const list = $("ballots");
    const none = part(list, "p", {class: "no-ballots muted"});
    none.textContent = T.no_ballots;
    none.hidden = state.ballots.length > 0;
    const boxes = part(list, "div", {class: "ballot-list"});
    keyed(boxes, state.ballots.slice().reverse(), (b) => b.ballot, (b) => h("div", {class: "room-ballot", "data-ballot": b.ballot},
      h("p", {class: "question"}, h("strong", {}, b.question))));
    for (const b of state.ballots) drawBallot(boxes.querySelector(`:scope > [data-key="${b.ballot}"]`), b);
  }

  function drawBallot(box, b) {
    const keys = Object.keys(b.choices);
    const tally = (count) => h("ul", {class: "tally"}, keys.map((k) => h("li", {}, `${b.choices[k]} `, h("strong", {}, count(k)))));
    const info = part(box, "div", {class: "ballot-info"});
    const infoSig = JSON.stringify([b.state, b.tally, b.voted, b.can_vote, b.passed, b.marks]);
    if (info.dataset.sig !== infoSig) {
      info.dataset.sig = infoSig;
      info.replaceChildren();
      if (b.state === "open") {
        const t = b.tally || {cast: 0, eligible: 0};
        put(info, [h("p", {class: "turnout"}, `${t.cast} / ${t.eligible} ${T.turnout}`),
          t.marks ? tally((k) => t.marks[k] || 0) : b.secret ? h("p", {class: "muted"}, T.secret_tally) : null,
          b.voted ? h("p", {class: "ok"}, T.voted) : b.can_vote ? null : h("p", {class: "muted"}, T.not_voter)]);
      } else {
        put(info, [h("p", {class: `verdict ${b.passed ? "ok" : "warn"}`}, b.passed ? T.adopted : T.not_adopted),
          h("p", {class: "explanation"}, typeof b.explanation === "string" ? b.explanation : ""),
          tally((k) => ((b.marks || {})[k] || {}).headcount || 0)]);
      }
    }
    let form = box.querySelector(":scope > .cast-form");
    const voting = b.state === "open" && b.can_vote && !b.voted;
    if (form && !voting) { form.remove(); form = null; }
    if (!form && voting) {
      const type = b.kind === "multiple" ? "checkbox" : "radio";
      const choice = (value, label) => h("label", {class: "choice"},
        h("input", {type: type, name: `choice-${b.ballot}`, value: value}), h("span", {}, label));
      form = h("form", {class: "cast-form", "data-ballot": b.ballot}, keys.map((k) => choice(k, b.choices[k])),
        b.kind !== "yes_no" ? choice("abstain", T.blank) : null,
        h("button", {type: "submit", class: "button primary wide"}, T.vote), h("p", {class: "form-error", role: "alert", hidden: true}));
      box.insertBefore(form, box.querySelector(":scope > .ballot-actions"));
    }
    const actions = part(box, "div", {class: "ballot-actions"});
    const actSig = JSON.stringify([b.state, me.run]);
    if (actions.dataset.sig !== actSig) {
      actions.dataset.sig = actSig;
      actions.replaceChildren();
      if (me.run && b.state === "open") actions.append(button(T.close_ballot, "ballot_close", {ballot: b.ballot}, "danger"));
    }
  }

  function tickTimer() {
    document.querySelectorAll(".timer").forEach((el) => {
      const until = el.dataset.until;
      if (!until) { el.textContent = ""; return; }
      const left = Math.max(0, Math.round((Date.parse(until) - Date.now()) / 1000));
      el.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} ${T.left}`;
      el.classList.toggle("warn", left <= 10);
    });
  }
  setInterval(tickTimer, 1000);

  /* --- input ------------------------------------------------------------------------- */

  /* Ending the meeting and closing a vote cannot be undone: they ask first. */
  const IRREVERSIBLE = {end: [T.confirm_end, T.end], ballot_close: [T.confirm_close, T.close_ballot]};

  function confirmFirst(question, yes, then) {
    const dialog = $("room-confirm");
    dialog.querySelector(".confirm-text").textContent = question;
    dialog.querySelector(".confirm-yes").textContent = yes;
    dialog.onclose = () => { if (dialog.returnValue === "yes") then(); };
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector(".confirm-no").focus();
  }

  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-act]");
    if (!el) return;
    const data = JSON.parse(el.dataset.args || "{}");
    const action = el.dataset.act;
    if (action === "give_floor") {
      const input = document.querySelector(`.seconds[data-user="${CSS.escape(String(data.user))}"]`);
      if (input && input.value) data.seconds = parseInt(input.value, 10);
    }
    if (action === "hide_statement") {
      const reason = window.prompt(T.hide_reason);
      if (!reason) return;
      data.reason = reason;
    }
    if (IRREVERSIBLE[action]) {
      const [question, yes] = IRREVERSIBLE[action];
      let text = question;
      if (action === "ballot_close") {
        const b = state.ballots.find((x) => x.ballot === data.ballot);
        if (b) text = `${b.question}\n${question}`;
      }
      confirmFirst(text, yes, () => act(action, data));
      return;
    }
    act(action, data);
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.id === "statement-form") {
      e.preventDefault();
      const body = $("statement-body");
      if (!body.value.trim()) return;
      act("statement", {body: body.value}, (a) => { if (a.ok) body.value = ""; }, form);
    } else if (form.classList.contains("decision-form")) {
      e.preventDefault();
      const text = form.querySelector("textarea");
      act("decision", {item: parseInt(form.dataset.item, 10), text: text.value},
        (a) => { if (a.ok) { text.value = ""; text.blur(); render(); } }, form);
    } else if (form.classList.contains("present-form")) {
      e.preventDefault();
      const input = form.querySelector("input");
      act("mark_present", {handle: input.value}, (a) => { if (a.ok) input.value = ""; }, form);
    } else if (form.classList.contains("cast-form")) {
      e.preventDefault();
      const ballot = parseInt(form.dataset.ballot, 10);
      const choice = Array.from(form.querySelectorAll("input:checked")).map((i) => i.value);
      if (!choice.length) return;
      const key = `${ballot}-${me.id}-${Date.now()}`;
      act("cast", {ballot: ballot, choice: choice, client_key: key}, (a) => {
        if (a.ok) { const b = state.ballots.find((x) => x.ballot === ballot); if (b) b.voted = true; render(); }
      }, form);
    } else if (form.id === "ballot-form") {
      e.preventDefault();
      const f = new FormData(form);
      act("ballot_open", {question: f.get("question"), kind: f.get("kind"), options: f.get("options"),
        max_choices: parseInt(f.get("max_choices") || "1", 10), secret: f.get("secret") === "on"},
        (a) => { if (a.ok) { form.reset(); $("ballot-form-box").open = false; } }, form);
    }
  });

  render();
})();
