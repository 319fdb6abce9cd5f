/* The live meeting room. The page embeds the room's whole state with the number of the
   last event it includes; the socket then delivers every later event, in order. A phone
   that reconnects sends the last number it saw and receives what it missed; a gap (an
   event arriving early) is filled by asking for the events after the last one applied.
   Every handler is idempotent: an event already in the embedded state changes nothing. */
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
  window.consultRoom = {state: state, socket: socket, seq: () => seq};

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
  socket.on("connect_error", (err) => status(err && err.message === "not_invited" || err.message === "unauthorized"
    ? T.refused : T.lost, "warn"));
  socket.on("signed_out", () => { status(T.signed_out, "warn"); socket.disconnect(); });
  socket.on("event", (ev) => receive([ev]));
  socket.on("events", (evs) => receive(evs));
  socket.on("tally", (t) => {
    const b = state.ballots.find((x) => x.ballot === t.ballot);
    if (b && b.state === "open") { b.tally = t; render(); }
  });

  function receive(events) {
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

  function act(action, data, done) {
    socket.emit("act", Object.assign({action: action}, data || {}), (answer) => {
      if (!answer || !answer.ok) {
        status((answer && answer.error && answer.error.message) || T.lost, "warn");
        setTimeout(() => status(T.connected, "ok"), 4000);
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

  function render() {
    const m = state.meeting;
    $("meeting-state").textContent = T["state_" + m.state];
    $("meeting-state").className = "tag meeting-" + m.state;
    const present = state.attendance.filter((a) => a.invited).length;
    const quorum = quorumMet(present, state.expected);
    fill("quorum", `${present} ${T.present} / ${state.expected} ${T.invited}`,
      state.meeting.quorum !== "none" ? [" · ", h("strong", {class: quorum ? "ok" : "warn"}, quorum ? T.quorum_met : T.quorum_missing)] : null);

    if (me.run) renderConsole();
    const item = state.agenda.find((i) => i.id === m.item);
    fill("current-item", item
      ? [h("p", {class: "current-title"}, item.title),
        item.proposal ? h("p", {}, h("a", {href: "/proposals/" + Number(item.proposal)}, `${T.matter} #${item.proposal}`)) : null,
        item.decision ? h("p", {class: "reason"}, `${T.decision}: ${item.decision}`) : null,
        me.run && isOpen() ? h("form", {class: "decision-form", "data-item": item.id},
          h("label", {for: "decision-text"}, T.decision), h("textarea", {id: "decision-text", rows: 2, maxlength: 2000}),
          h("button", {type: "submit", class: "button"}, T.record_decision)) : null]
      : h("p", {class: "muted"}, T.no_item));

    fill("floor", state.floor
      ? [h("p", {class: "floor"}, h("strong", {}, state.floor.name), ` ${T.has_floor} `,
          h("span", {class: "timer", "data-until": state.floor.until || ""})),
        me.run && isOpen() ? button(T.take_floor, "take_floor") : null]
      : h("p", {class: "muted"}, T.nobody_floor));
    const hands = [];
    if (!state.speakers_open) hands.push(h("p", {class: "muted"}, T.speakers_closed));
    else {
      hands.push(state.hands.length
        ? h("ol", {class: "hands"}, state.hands.map((x) => h("li", {}, `${x.name} `,
            me.run ? [h("input", {type: "number", class: "seconds", min: 10, max: 1800, step: 10, placeholder: "120",
                                  "aria-label": T.seconds, "data-user": x.user}),
                      button(T.give_floor, "give_floor", {user: x.user}, "small primary"),
                      button(T.lower, "lower_hand", {user: x.user}, "small")] : null)))
        : h("p", {class: "muted"}, T.no_hands));
      if (me.signed_in && m.state === "live") {
        const mine = state.hands.some((x) => x.user === me.id);
        hands.push(mine ? button(T.lower_hand, "lower_hand") : button(T.raise_hand, "raise_hand", {}, "primary"));
      }
    }
    fill("hands", hands);

    const statements = state.statements.filter((s) => s.item === m.item);
    fill("statements", statements.length
      ? statements.map((s) => h("li", {"data-id": s.id}, h("strong", {}, s.name), " ",
          s.body == null ? h("span", {class: "muted"}, `${T.hidden} ${s.reason == null ? "" : s.reason}`) : s.body,
          me.run && s.body != null ? [" ", button(T.hide, "hide_statement", {id: s.id}, "small link")] : null))
      : h("li", {class: "muted"}, T.no_statements));
    $("statement-form").hidden = !(me.signed_in && m.state === "live");

    fill("agenda", state.agenda.map((i) => h("li", {class: i.id === m.item ? "current" : null}, i.title,
      i.id === m.item ? [" ", h("span", {class: "tag"}, T.current)] : null,
      me.run && isOpen() && i.id !== m.item ? [" ", button(T.make_current, "item", {item: i.id}, "small")] : null,
      i.decision ? h("p", {class: "reason"}, `${T.decision}: ${i.decision}`) : null)));

    fill("attendance", state.attendance.map((a) => h("li", {}, `${a.name} `, h("span", {class: "tag"}, roleLabel(a.role)),
      " ", h("span", {class: "muted"}, a.in_person ? T.in_person : T.online))));

    renderBallots();
    tickTimer();
  }

  function quorumMet(present, expected) {
    if (state.meeting.quorum === "half") return present * 2 > expected;
    if (state.meeting.quorum === "two_thirds") return present * 3 >= expected * 2;
    return true;
  }

  function renderConsole() {
    const m = state.meeting;
    const steps = {scheduled: ["start"], live: ["pause", "end"], paused: ["resume", "end"]}[m.state] || [];
    fill("state-buttons", spaced(steps.map((s) => button(T[s], s, {}, s === "end" ? "danger" : "primary"))));
    fill("speaker-buttons", isOpen()
      ? (state.speakers_open ? spaced([button(T.close_speakers, "speakers", {open: false}), button(T.lower_all, "lower_all")])
                             : button(T.open_speakers, "speakers", {open: true}))
      : null);
    fill("present-form", state.meeting.form !== "online" && m.state !== "ended" && m.state !== "cancelled"
      ? h("form", {class: "present-form"}, h("label", {for: "present-handle"}, T.mark_present),
          h("input", {id: "present-handle", autocomplete: "off"}), h("button", {type: "submit", class: "button small"}, T.mark))
      : null);
    $("ballot-form-box").hidden = m.state !== "live";
  }

  function renderBallots() {
    if (!state.ballots.length) { fill("ballots", h("p", {class: "muted"}, T.no_ballots)); return; }
    fill("ballots", state.ballots.slice().reverse().map((b) => {
      const box = h("div", {class: "room-ballot", "data-ballot": b.ballot},
        h("p", {class: "question"}, h("strong", {}, b.question)));
      const keys = Object.keys(b.choices);
      const tally = (count) => h("ul", {class: "tally"}, keys.map((k) => h("li", {}, `${b.choices[k]} `, h("strong", {}, count(k)))));
      if (b.state === "open") {
        const t = b.tally || {cast: 0, eligible: 0};
        put(box, [h("p", {class: "turnout"}, `${t.cast} / ${t.eligible} ${T.turnout}`)]);
        if (t.marks) put(box, [tally((k) => t.marks[k] || 0)]);
        else if (b.secret) put(box, [h("p", {class: "muted"}, T.secret_tally)]);
        if (b.voted) put(box, [h("p", {class: "ok"}, T.voted)]);
        else if (b.can_vote) {
          const type = b.kind === "multiple" ? "checkbox" : "radio";
          const choice = (value, label) => h("label", {class: "choice"},
            h("input", {type: type, name: "choice", value: value}), h("span", {}, label));
          put(box, [h("form", {class: "cast-form", "data-ballot": b.ballot}, keys.map((k) => choice(k, b.choices[k])),
            b.kind !== "yes_no" ? choice("abstain", T.blank) : null,
            h("button", {type: "submit", class: "button primary wide"}, T.vote))]);
        } else put(box, [h("p", {class: "muted"}, T.not_voter)]);
        if (me.run) put(box, [button(T.close_ballot, "ballot_close", {ballot: b.ballot}, "danger")]);
      } else {
        const lang = document.documentElement.lang.startsWith("zh") ? "zh_Hans" : "en";
        put(box, [h("p", {class: `verdict ${b.passed ? "ok" : "warn"}`}, b.passed ? T.adopted : T.not_adopted),
          h("p", {class: "explanation"}, (b.explanation || {})[lang] || ""),
          tally((k) => ((b.marks || {})[k] || {}).headcount || 0)]);
      }
      return box;
    }));
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

  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-act]");
    if (!el) return;
    const data = JSON.parse(el.dataset.args || "{}");
    if (el.dataset.act === "give_floor") {
      const input = document.querySelector(`.seconds[data-user="${CSS.escape(String(data.user))}"]`);
      if (input && input.value) data.seconds = parseInt(input.value, 10);
    }
    if (el.dataset.act === "hide_statement") {
      const reason = window.prompt(T.hide_reason);
      if (!reason) return;
      data.reason = reason;
    }
    act(el.dataset.act, data);
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.id === "statement-form") {
      e.preventDefault();
      const body = $("statement-body");
      if (!body.value.trim()) return;
      act("statement", {body: body.value}, (a) => { if (a.ok) body.value = ""; });
    } else if (form.classList.contains("decision-form")) {
      e.preventDefault();
      act("decision", {item: parseInt(form.dataset.item, 10), text: form.querySelector("textarea").value});
    } else if (form.classList.contains("present-form")) {
      e.preventDefault();
      const input = form.querySelector("input");
      act("mark_present", {handle: input.value}, (a) => { if (a.ok) input.value = ""; });
    } else if (form.classList.contains("cast-form")) {
      e.preventDefault();
      const ballot = parseInt(form.dataset.ballot, 10);
      const choice = Array.from(form.querySelectorAll("input:checked")).map((i) => i.value);
      if (!choice.length) return;
      const key = `${ballot}-${me.id}-${Date.now()}`;
      act("cast", {ballot: ballot, choice: choice, client_key: key}, (a) => {
        if (a.ok) { const b = state.ballots.find((x) => x.ballot === ballot); if (b) b.voted = true; render(); }
      });
    } else if (form.id === "ballot-form") {
      e.preventDefault();
      const f = new FormData(form);
      act("ballot_open", {question: f.get("question"), kind: f.get("kind"), options: f.get("options"),
        max_choices: parseInt(f.get("max_choices") || "1", 10), secret: f.get("secret") === "on"},
        (a) => { if (a.ok) { form.reset(); $("ballot-form-box").open = false; } });
    }
  });

  render();
})();
