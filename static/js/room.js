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
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
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

  function button(label, action, data, cls) {
    return `<button type="button" class="button ${cls || ""}" data-act="${esc(action)}" data-args="${esc(JSON.stringify(data || {}))}">${esc(label)}</button>`;
  }

  function roleLabel(role) { return T["role_" + role] || T.role_guest; }

  function render() {
    const m = state.meeting;
    $("meeting-state").textContent = T["state_" + m.state];
    $("meeting-state").className = "tag meeting-" + m.state;
    const present = state.attendance.filter((a) => a.invited).length;
    const quorum = quorumMet(present, state.expected);
    $("quorum").innerHTML = `${present} ${esc(T.present)} / ${state.expected} ${esc(T.invited)}` +
      (state.meeting.quorum !== "none" ? ` · <strong class="${quorum ? "ok" : "warn"}">${esc(quorum ? T.quorum_met : T.quorum_missing)}</strong>` : "");

    if (me.run) renderConsole();
    const item = state.agenda.find((i) => i.id === m.item);
    $("current-item").innerHTML = item
      ? `<p class="current-title">${esc(item.title)}</p>` +
        (item.proposal ? `<p><a href="/proposals/${item.proposal}">${esc(T.matter)} #${item.proposal}</a></p>` : "") +
        (item.decision ? `<p class="reason">${esc(T.decision)}: ${esc(item.decision)}</p>` : "") +
        (me.run && isOpen() ? `<form class="decision-form" data-item="${item.id}"><label for="decision-text">${esc(T.decision)}</label>` +
          `<textarea id="decision-text" rows="2" maxlength="2000"></textarea><button type="submit" class="button">${esc(T.record_decision)}</button></form>` : "")
      : `<p class="muted">${esc(T.no_item)}</p>`;

    $("floor").innerHTML = state.floor
      ? `<p class="floor"><strong>${esc(state.floor.name)}</strong> ${esc(T.has_floor)} <span class="timer" data-until="${esc(state.floor.until || "")}"></span></p>` +
        (me.run && isOpen() ? button(T.take_floor, "take_floor") : "")
      : `<p class="muted">${esc(T.nobody_floor)}</p>`;
    let hands = "";
    if (!state.speakers_open) hands = `<p class="muted">${esc(T.speakers_closed)}</p>`;
    else {
      hands = state.hands.length
        ? `<ol class="hands">${state.hands.map((h) => `<li>${esc(h.name)} ` +
            (me.run ? `<input type="number" class="seconds" min="10" max="1800" step="10" placeholder="120" aria-label="${esc(T.seconds)}" data-user="${h.user}">` +
              button(T.give_floor, "give_floor", {user: h.user}, "small primary") + button(T.lower, "lower_hand", {user: h.user}, "small") : "") +
            `</li>`).join("")}</ol>`
        : `<p class="muted">${esc(T.no_hands)}</p>`;
      if (me.signed_in && m.state === "live") {
        const mine = state.hands.some((h) => h.user === me.id);
        hands += mine ? button(T.lower_hand, "lower_hand") : button(T.raise_hand, "raise_hand", {}, "primary");
      }
    }
    $("hands").innerHTML = hands;

    const statements = state.statements.filter((s) => s.item === m.item);
    $("statements").innerHTML = statements.length ? statements.map((s) =>
      `<li data-id="${s.id}"><strong>${esc(s.name)}</strong> ` +
      (s.body == null ? `<span class="muted">${esc(T.hidden)} ${esc(s.reason)}</span>` : esc(s.body)) +
      (me.run && s.body != null ? " " + button(T.hide, "hide_statement", {id: s.id}, "small link") : "") + `</li>`).join("")
      : `<li class="muted">${esc(T.no_statements)}</li>`;
    $("statement-form").hidden = !(me.signed_in && m.state === "live");

    $("agenda").innerHTML = state.agenda.map((i) => `<li${i.id === m.item ? ' class="current"' : ""}>${esc(i.title)}` +
      (i.id === m.item ? ` <span class="tag">${esc(T.current)}</span>` : "") +
      (me.run && isOpen() && i.id !== m.item ? " " + button(T.make_current, "item", {item: i.id}, "small") : "") +
      (i.decision ? `<p class="reason">${esc(T.decision)}: ${esc(i.decision)}</p>` : "") + `</li>`).join("");

    $("attendance").innerHTML = state.attendance.map((a) => `<li>${esc(a.name)} <span class="tag">${esc(roleLabel(a.role))}</span>` +
      ` <span class="muted">${esc(a.in_person ? T.in_person : T.online)}</span></li>`).join("");

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
    $("state-buttons").innerHTML = steps.map((s) => button(T[s], s, {}, s === "end" ? "danger" : "primary")).join(" ");
    $("speaker-buttons").innerHTML = isOpen()
      ? (state.speakers_open ? button(T.close_speakers, "speakers", {open: false}) + " " + button(T.lower_all, "lower_all")
                             : button(T.open_speakers, "speakers", {open: true}))
      : "";
    $("present-form").innerHTML = state.meeting.form !== "online" && m.state !== "ended" && m.state !== "cancelled"
      ? `<form class="present-form"><label for="present-handle">${esc(T.mark_present)}</label>` +
        `<input id="present-handle" autocomplete="off"><button type="submit" class="button small">${esc(T.mark)}</button></form>` : "";
    $("ballot-form-box").hidden = m.state !== "live";
  }

  function renderBallots() {
    if (!state.ballots.length) { $("ballots").innerHTML = `<p class="muted">${esc(T.no_ballots)}</p>`; return; }
    $("ballots").innerHTML = state.ballots.slice().reverse().map((b) => {
      let html = `<div class="room-ballot" data-ballot="${b.ballot}"><p class="question"><strong>${esc(b.question)}</strong></p>`;
      const keys = Object.keys(b.choices);
      if (b.state === "open") {
        const t = b.tally || {cast: 0, eligible: 0};
        html += `<p class="turnout">${t.cast} / ${t.eligible} ${esc(T.turnout)}</p>`;
        if (t.marks) html += `<ul class="tally">${keys.map((k) => `<li>${esc(b.choices[k])} <strong>${t.marks[k] || 0}</strong></li>`).join("")}</ul>`;
        else if (b.secret) html += `<p class="muted">${esc(T.secret_tally)}</p>`;
        if (b.voted) html += `<p class="ok">${esc(T.voted)}</p>`;
        else if (b.can_vote) {
          const type = b.kind === "multiple" ? "checkbox" : "radio";
          html += `<form class="cast-form" data-ballot="${b.ballot}">` + keys.map((k) =>
            `<label class="choice"><input type="${type}" name="choice" value="${esc(k)}"><span>${esc(b.choices[k])}</span></label>`).join("") +
            (b.kind !== "yes_no" ? `<label class="choice"><input type="${type}" name="choice" value="abstain"><span>${esc(T.blank)}</span></label>` : "") +
            `<button type="submit" class="button primary wide">${esc(T.vote)}</button></form>`;
        } else html += `<p class="muted">${esc(T.not_voter)}</p>`;
        if (me.run) html += button(T.close_ballot, "ballot_close", {ballot: b.ballot}, "danger");
      } else {
        const lang = document.documentElement.lang.startsWith("zh") ? "zh_Hans" : "en";
        html += `<p class="verdict ${b.passed ? "ok" : "warn"}">${esc(b.passed ? T.adopted : T.not_adopted)}</p>` +
          `<p class="explanation">${esc((b.explanation || {})[lang] || "")}</p>` +
          `<ul class="tally">${keys.map((k) => `<li>${esc(b.choices[k])} <strong>${((b.marks || {})[k] || {}).headcount || 0}</strong></li>`).join("")}</ul>`;
      }
      return html + `</div>`;
    }).join("");
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
      const input = document.querySelector(`.seconds[data-user="${data.user}"]`);
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
