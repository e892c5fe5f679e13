/*
 * micromentor task pane: sign in, find a mentor by skill (or type an address), choose 15, 20 or 30
 * minutes where the policy allows, see the times that suit you both (in your own time zone), book one
 * (or an onboarding set of two or three mentors, or a series: every N days, a number of sessions or
 * until someone stops, which the pane shows and can stop), then fill in the 2-10-3 checklist. Plain ES2017 for Outlook's web views; no framework, no build step.
 *
 * Sign-in, in Microsoft's order of preference:
 *   1. nested app authentication (MSAL.js createNestablePublicClientApplication) where Outlook offers it;
 *   2. Office.auth.getAccessToken (Office SSO) in Outlook clients without it;
 *   3. outside Outlook (a browser opened from a booking link), MSAL.js with a sign-in popup.
 * The API lives next to this page: the page is {api}/addin/taskpane.html, the API is {api}/.
 */
(function () {
  "use strict";

  var API = new URL("../", window.location.href);
  var MAX_QUESTION = 300;
  var REMEMBERED = "micromentor.mentors";
  var SERIES_REMEMBERED = "micromentor.series";  // the series started in this pane, newest first
  var MAX_SERIES_SHOWN = 5;
  var LENGTHS = [15, 20, 30];
  var MAX_SET = 3;
  var state = {
    me: null, getToken: null, slots: [], chosen: null, pending: null, mentor: null,
    found: [], picked: [], searchSeq: 0, searchTimer: null, checklist: null, series: null
  };

  function $(id) { return document.getElementById(id); }

  var dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function zoneName() {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "long" }).formatToParts(new Date());
      for (var i = 0; i < parts.length; i += 1) {
        if (parts[i].type === "timeZoneName") { return parts[i].value; }
      }
    } catch (e) { /* older engines: fall through */ }
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
  }

  function formatRange(startIso, endIso) {
    var start = new Date(startIso);
    var end = new Date(endIso);
    var endText = dayFormat.format(end) === dayFormat.format(start) ? timeFormat.format(end)
      : dayFormat.format(end) + ", " + timeFormat.format(end);
    return dayFormat.format(start) + ", " + timeFormat.format(start) + " \u2013 " + endText;
  }

  // ---- status, errors --------------------------------------------------------------------------

  function busy(text) { $("busy").textContent = text || ""; }

  function showError(message) {
    var box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function fieldError(name, message) {
    var input = $(name);
    var note = $(name + "-error");
    note.textContent = message || "";
    note.hidden = !message;
    if (message) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    else { input.removeAttribute("aria-invalid"); }
    return !message;
  }

  function describe(error) {
    if (error && error.status) { return error.message; }
    if (error && error.name === "TypeError") {
      return "micromentor could not be reached. Check your connection and try again.";
    }
    return (error && error.message) || String(error);
  }

  // ---- Office.js and sign-in -------------------------------------------------------------------

  function officeReady() {
    var office = window.Office;
    if (!office || typeof office.onReady !== "function") { return Promise.resolve(null); }
    var ready = Promise.resolve(office.onReady()).then(function (info) {
      return info && info.host ? office : null;
    }, function () { return null; });
    var giveUp = new Promise(function (resolve) { window.setTimeout(function () { resolve(null); }, 5000); });
    return Promise.race([ready, giveUp]);
  }

  function tokenClaims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var bytes = Uint8Array.from(window.atob(part), function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return {};
    }
  }

  function loadConfig() {
    return fetch("config.json", { cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error("the sign-in settings could not be loaded"); }
      return response.json();
    });
  }

  function msalSignIn(config, nested) {
    var auth = { clientId: config.clientId, authority: config.authority || undefined };
    if (!nested) { auth.redirectUri = new URL("auth-redirect.html", window.location.href).href; }
    return window.msal.createNestablePublicClientApplication({
      auth: auth,
      cache: { cacheLocation: "sessionStorage" }
    }).then(function (pca) {
      function acquire(interactive) {
        var account = pca.getActiveAccount() || pca.getAllAccounts()[0];
        var request = { scopes: config.scopes };
        if (account) { request.account = account; }
        return pca.acquireTokenSilent(request).catch(function (error) {
          if (!interactive) { throw error; }
          return pca.acquireTokenPopup({ scopes: config.scopes });
        }).then(function (result) {
          if (result.account) { pca.setActiveAccount(result.account); }
          return result;
        });
      }
      // In Outlook the host shows any prompt; in a browser a popup may only open from a click.
      return acquire(nested).catch(function (error) {
        if (nested) { throw error; }
        return clicked($("sign-in")).then(function () { return acquire(true); });
      }).then(function (first) {
        return {
          upn: (first.account && first.account.username) || tokenClaims(first.accessToken).preferred_username,
          getToken: function () { return acquire(true).then(function (r) { return r.accessToken; }); }
        };
      });
    });
  }

  function clicked(button) {
    button.hidden = false;
    $("account").textContent = "Not signed in";
    return new Promise(function (resolve) {
      button.addEventListener("click", function () { button.hidden = true; resolve(); }, { once: true });
    });
  }

  function officeSignIn(office) {
    var options = { allowSignInPrompt: true, allowConsentPrompt: true };
    function getToken() { return Promise.resolve(office.auth.getAccessToken(options)); }
    return getToken().then(function (token) {
      var claims = tokenClaims(token);
      var profile = office.context && office.context.mailbox && office.context.mailbox.userProfile;
      return {
        upn: claims.preferred_username || claims.upn || (profile && profile.emailAddress),
        getToken: getToken
      };
    });
  }

  function signIn(office, config) {
    var requirements = office && office.context && office.context.requirements;
    var nested = Boolean(requirements && requirements.isSetSupported("NestedAppAuth", "1.1"));
    var canMsal = Boolean(window.msal && config.clientId);
    if (canMsal && (nested || !office)) { return msalSignIn(config, nested); }
    if (office && office.auth && typeof office.auth.getAccessToken === "function") { return officeSignIn(office); }
    return Promise.reject(new Error(config.clientId ? "open micromentor from Outlook to sign in"
      : "sign-in is not configured on this server"));
  }

  function signedIn(session) {
    state.me = String(session.upn || "").toLowerCase();
    state.getToken = session.getToken;
    $("account").textContent = state.me ? "Signed in as " + state.me : "Signed in";
    $("account").title = $("account").textContent;
    $("find").disabled = false;
    showError("");
    loadMySeries().catch(function () { /* the list is a convenience: booking works without it */ });
  }

  // ---- the API ---------------------------------------------------------------------------------

  function api(method, path, body, headers) {
    return state.getToken().then(function (token) {
      var init = { method: method, headers: { Authorization: "Bearer " + token, Accept: "application/json" } };
      Object.keys(headers || {}).forEach(function (name) { init.headers[name] = headers[name]; });
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers["Content-Type"] = "application/json";
      }
      return fetch(new URL(path, API).href, init);
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) { return { status: response.status, data: data }; }
        var detail = data && data.error;
        var error = new Error(detail && detail.message ? capitalise(detail.message)
          : "micromentor answered " + response.status + ". Please try again.");
        error.status = response.status;
        error.field = detail && detail.field;
        error.alternatives = data && data.alternatives;
        throw error;
      });
    });
  }

  function capitalise(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  // ---- mentors remembered on this device ---------------------------------------------------------

  function remembered() {
    try { return JSON.parse(window.localStorage.getItem(REMEMBERED) || "[]").filter(function (m) {
      return typeof m === "string"; }); } catch (e) { return []; }
  }

  function remember(mentor) {
    var list = [mentor].concat(remembered().filter(function (m) { return m !== mentor; })).slice(0, 8);
    try { window.localStorage.setItem(REMEMBERED, JSON.stringify(list)); } catch (e) { /* private mode */ }
    fillSuggestions(list);
  }

  function fillSuggestions(list) {
    var datalist = $("mentor-suggestions");
    datalist.textContent = "";
    list.forEach(function (mentor) {
      var option = document.createElement("option");
      option.value = mentor;
      datalist.appendChild(option);
    });
  }

  function prefillMentor(office) {
    var fromUrl = new URLSearchParams(window.location.search).get("mentor");
    if (fromUrl) { $("mentor").value = fromUrl; return; }
    var item = office && office.context && office.context.mailbox && office.context.mailbox.item;
    if (!item) { return; }
    var sender = item.from && item.from.emailAddress;
    if (typeof sender === "string" && sender) {
      if (!$("mentor").value) { $("mentor").value = sender; }
      return;
    }
    if (item.to && typeof item.to.getAsync === "function") {
      item.to.getAsync(function (result) {
        var first = result && result.status === "succeeded" && result.value && result.value[0];
        if (first && first.emailAddress && !$("mentor").value) { $("mentor").value = first.emailAddress; }
      });
    }
  }

  // ---- finding and showing times -----------------------------------------------------------------

  var EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

  function findTimes(event) {
    event.preventDefault();
    showError("");
    $("done").hidden = true;
    var mentor = $("mentor").value.trim().toLowerCase();
    if (!fieldError("mentor", !mentor ? "Enter your mentor's email address."
      : !EMAIL.test(mentor) ? "Enter an email address such as name@contoso.com."
        : mentor === state.me ? "That is you: enter your mentor's address." : "")) { return; }
    if (!state.getToken) { showError("Sign in first."); return; }
    busy("Looking for times\u2026");
    $("find").disabled = true;
    var query = new URLSearchParams({ mentor: mentor, mentee: state.me, limit: "5", minutes: $("minutes").value });
    api("GET", "slots?" + query.toString()).then(function (answer) {
      state.mentor = mentor;
      remember(mentor);
      showSlots(answer.data.slots || [], answer.data.reasons || [], answer.data.officeHours || "");
    }).catch(function (error) {
      if (error.field === "mentor") { fieldError("mentor", describe(error)); } else { showError(describe(error)); }
    }).then(function () {
      busy("");
      $("find").disabled = false;
    });
  }

  function showSlots(slots, reasons, officeHours) {
    // The API ranks them; people read a short list most easily in time order.
    state.slots = slots.slice().sort(function (a, b) { return a.start < b.start ? -1 : a.start > b.start ? 1 : 0; });
    state.chosen = null;
    var list = $("slot-list");
    Array.prototype.slice.call(list.querySelectorAll(".slot, .empty")).forEach(function (node) { node.remove(); });
    $("zone").textContent = "Times are in " + zoneName() + ".";
    // The mentor's standard time slots, in the mentor's words and zone (issue 16).
    var office = $("office-hours");
    if (office) {
      office.textContent = officeHours ? "This mentor " + officeHours + "." : "";
      office.hidden = !officeHours;
    }
    if (!state.slots.length) {
      var empty = document.createElement("p");
      empty.className = "empty hint";
      empty.textContent = "No time suits you both in the coming weeks" +
        (reasons.length ? " (" + reasons.join("; ") + ")." : ".");
      list.appendChild(empty);
    }
    state.slots.forEach(function (slot, index) {
      var label = document.createElement("label");
      label.className = "slot";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "slot";
      radio.value = String(index);
      radio.addEventListener("change", function () {
        state.chosen = state.slots[index];
        $("book").disabled = false;
      });
      var text = document.createElement("span");
      text.className = "slot-text";
      var when = document.createElement("time");
      when.className = "slot-when";
      when.dateTime = slot.start;
      when.textContent = formatRange(slot.start, slot.end);
      var length = document.createElement("span");
      length.className = "slot-why";
      length.textContent = Math.round((new Date(slot.end) - new Date(slot.start)) / 60000) + " minutes on Teams";
      text.appendChild(when);
      text.appendChild(length);
      label.appendChild(radio);
      label.appendChild(text);
      list.appendChild(label);
    });
    $("book").disabled = true;
    $("book").hidden = !state.slots.length;
    $("times").hidden = false;
    $("times-title").focus();  // keyboard and screen-reader users land on the new choices
  }

  // ---- booking ---------------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function book() {
    showError("");
    if ($("series-on").checked) { startSeries(); return; }
    var slot = state.chosen;
    if (!slot) { showError("Choose a time first."); return; }
    var question = $("question").value.replace(/\s+/g, " ").trim();
    if (!fieldError("question", !question ? "Write your question in one sentence."
      : question.length > MAX_QUESTION ? "Keep the question under " + MAX_QUESTION + " characters." : "")) {
      return;
    }
    var body = {
      mentor: state.mentor,
      mentees: [state.me],
      start: slot.start,
      minutes: Math.round((new Date(slot.end) - new Date(slot.start)) / 60000),  // the length searched for
      question: question
    };
    var topic = $("topic").value.trim();
    if (topic) { body.topic = topic; }
    // One key per booking attempt: a retry after a lost answer books once; a changed request is new.
    var text = JSON.stringify(body);
    if (!state.pending || state.pending.body !== text) { state.pending = { body: text, key: newKey() }; }
    busy("Booking\u2026");
    $("book").disabled = true;
    api("POST", "sessions", body, { "Idempotency-Key": state.pending.key }).then(function (answer) {
      state.pending = null;
      showBooked(answer.data);
    }).catch(function (error) {
      if (error.status && error.status < 500) { state.pending = null; }
      if (error.status === 409 && error.alternatives && error.alternatives.length) {
        showSlots(error.alternatives, []);
        showError(describe(error) + " Here are other times.");
      } else if (error.field === "question") {
        fieldError("question", describe(error));
        $("book").disabled = false;
      } else {
        showError(describe(error));
        $("book").disabled = false;
      }
    }).then(function () { busy(""); });
  }

  function showBooked(session, others) {
    $("times").hidden = true;
    $("series-panel").hidden = true;
    var all = [session].concat(others || []);
    $("done-when").textContent = formatRange(session.start, session.end) + " with " + session.mentor + ".";
    var join = $("join");
    var safe = typeof session.joinUrl === "string" && /^https?:\/\//i.test(session.joinUrl);
    if (safe) { join.href = session.joinUrl; } else { join.removeAttribute("href"); }
    join.parentElement.hidden = !safe;
    var list = $("done-list");
    list.textContent = "";
    if (all.length > 1) {
      all.forEach(function (one) {
        var item = document.createElement("li");
        item.textContent = formatRange(one.start, one.end) + " with " + one.mentor + " ";
        var open = document.createElement("button");
        open.type = "button";
        open.className = "secondary";
        open.textContent = "Checklist";
        open.addEventListener("click", function () { loadChecklist(one); });
        item.appendChild(open);
        list.appendChild(item);
      });
    }
    var done = $("done");
    done.hidden = false;
    done.focus();
    loadChecklist(session);
  }

  // ---- series: the first session booked now, each next one by micromentor (docs/series.md) ----------

  // Where an API error about a series field shows: next to that field, naming it.
  var SERIES_FIELDS = { intervalDays: "series-interval", count: "series-count", question: "question" };
  var STOP_REASONS = {
    stopped_by_mentor: "by the mentor", stopped_by_mentee: "by the mentee",
    mentor_declined: "the mentor would not do another session", two_no_shows: "two sessions in a row were missed"
  };

  function seriesFieldsClear() {
    ["series-interval", "series-count"].forEach(function (id) { fieldError(id, ""); });
  }

  function startSeries() {
    var slot = state.chosen;
    if (!slot) { showError("Choose a time first."); return; }
    seriesFieldsClear();
    var question = $("question").value.replace(/\s+/g, " ").trim();
    if (!fieldError("question", !question ? "Write your question in one sentence."
      : question.length > MAX_QUESTION ? "Keep the question under " + MAX_QUESTION + " characters." : "")) {
      return;
    }
    var interval = $("series-interval").value.trim();
    if (!fieldError("series-interval", /^[0-9]{1,3}$/.test(interval) ? "" : "Enter a whole number of days.")) {
      return;
    }
    var body = {
      mentor: state.mentor,
      mentee: state.me,
      start: slot.start,
      minutes: Math.round((new Date(slot.end) - new Date(slot.start)) / 60000),
      question: question,
      intervalDays: Number(interval)
    };
    var topic = $("topic").value.trim();
    if (topic) { body.topic = topic; }
    if ($("series-count").value) { body.count = Number($("series-count").value); }
    var text = JSON.stringify(body);
    if (!state.pending || state.pending.body !== text) { state.pending = { body: text, key: newKey() }; }
    busy("Starting the series\u2026");
    $("book").disabled = true;
    api("POST", "series", body, { "Idempotency-Key": state.pending.key }).then(function (answer) {
      state.pending = null;
      var series = answer.data;
      rememberSeries(series.id);
      showBooked(series.sessions[0]);
      showSeries(series);
    }).catch(function (error) {
      if (error.status && error.status < 500) { state.pending = null; }
      var target = SERIES_FIELDS[error.field];
      if (error.status === 409 && error.alternatives && error.alternatives.length) {
        showSlots(error.alternatives, []);
        showError(describe(error) + " Here are other times.");
      } else if (target) {
        fieldError(target, error.field + ": " + describe(error));
        $("book").disabled = false;
      } else {
        showError((error.field ? error.field + ": " : "") + describe(error));
        $("book").disabled = false;
      }
    }).then(function () { busy(""); });
  }

  function seriesState(series) {
    if (series.state === "active") {
      return "Running: each next session is booked near the same time, once the previous one is over.";
    }
    if (series.state === "completed") { return "Complete: every session of the series is over."; }
    var who = series.stoppedBy === state.me ? " by you" : "";
    var why = STOP_REASONS[series.stopReason] || "";
    return "Stopped" + who + (why && !who ? " (" + why + ")" : "") + ": no further session is booked.";
  }

  function showSeries(series) {
    state.series = series;
    $("series-cadence").textContent = "Every " + series.intervalDays + " days, " + series.minutes + " minutes, " +
      (series.count ? series.count + " sessions" : "until one of you stops") + ", with " + series.mentor + ".";
    $("series-state").textContent = seriesState(series);
    var list = $("series-sessions");
    list.textContent = "";
    (series.sessions || []).forEach(function (one, index) {
      var item = document.createElement("li");
      item.textContent = (index + 1) + ". " + formatRange(one.start, one.end) + " (" + one.state + ")";
      list.appendChild(item);
    });
    $("series-stop").hidden = series.state !== "active";
    $("series-stop-confirm").checked = false;
    $("series-stop-error").hidden = true;
    $("series-panel").hidden = false;
  }

  function stopSeries() {
    var series = state.series;
    if (!series) { return; }
    var note = $("series-stop-error");
    if (!$("series-stop-confirm").checked) {
      note.textContent = "Tick \u201cYes, stop the series for both of us\u201d to stop it.";
      note.hidden = false;
      return;
    }
    note.hidden = true;
    busy("Stopping the series\u2026");
    $("stop-series").disabled = true;
    api("POST", "series/" + encodeURIComponent(series.id) + "/stop").then(function (answer) {
      var stopped = answer.data;
      stopped.sessions = series.sessions;  // the stop answers the series without its sessions
      showSeries(stopped);
      return loadMySeries();
    }).catch(function (error) {
      note.textContent = (error.field ? error.field + ": " : "") + describe(error);
      note.hidden = false;
    }).then(function () { busy(""); $("stop-series").disabled = false; });
  }

  // The series started here are remembered on this device and shown again, fresh from the API, at sign-in.
  function rememberedSeries() {
    try { return JSON.parse(window.localStorage.getItem(SERIES_REMEMBERED) || "[]").filter(function (id) {
      return typeof id === "string" && /^[0-9a-f]{32}$/.test(id); }); } catch (e) { return []; }
  }

  function rememberSeries(id, forget) {
    var list = rememberedSeries().filter(function (known) { return known !== id; });
    if (!forget) { list.unshift(id); }
    try { window.localStorage.setItem(SERIES_REMEMBERED, JSON.stringify(list.slice(0, MAX_SERIES_SHOWN))); }
    catch (e) { /* private mode */ }
  }

  function loadMySeries() {
    var ids = rememberedSeries();
    if (!ids.length) { return Promise.resolve(); }
    return Promise.all(ids.map(function (id) {
      return api("GET", "series/" + encodeURIComponent(id)).then(function (answer) { return answer.data; },
        function (error) {
          if (error.status === 404 || error.status === 403) { rememberSeries(id, true); }  // gone, or not ours
          return null;
        });
    })).then(function (found) { showMySeries(found.filter(Boolean)); });
  }

  function showMySeries(all) {
    var list = $("my-series-list");
    list.textContent = "";
    all.forEach(function (series) {
      var item = document.createElement("li");
      item.textContent = "Every " + series.intervalDays + " days with " + series.mentor + ": " +
        (series.state === "active" ? "running" : series.state) + " ";
      var open = document.createElement("button");
      open.type = "button";
      open.className = "secondary";
      open.textContent = "Open";
      open.addEventListener("click", function () { showSeries(series); $("series-panel").focus(); });
      item.appendChild(open);
      list.appendChild(item);
    });
    $("my-series").hidden = !all.length;
  }

  function toggleSeries() {
    var on = $("series-on").checked;
    $("series-options").hidden = !on;
    $("book").textContent = on ? "Start the series" : "Book";
    if (!on) { seriesFieldsClear(); }
  }

  // ---- the 2-10-3 checklist (the same one as the session page) ------------------------------------

  var CHECKLIST_FIELDS = ["question", "options", "nextStep", "successIndicator"];

  function checklistError(field, message) {
    var note = $("cl-" + field + "-error");
    if (!note) { $("checklist-status").textContent = message || ""; return; }
    note.textContent = message || "";
    note.hidden = !message;
    var input = $(field === "options" ? "cl-option1" : "cl-" + field);
    if (message) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    else { input.removeAttribute("aria-invalid"); }
  }

  function fillChecklist(data) {
    state.checklist = { sessionId: data.sessionId, version: data.version };
    $("cl-question").value = data.question || "";
    [1, 2, 3].forEach(function (i) { $("cl-option" + i).value = (data.options || [])[i - 1] || ""; });
    $("cl-nextStep").value = data.nextStep || "";
    $("cl-successIndicator").value = data.successIndicator || "";
  }

  function loadChecklist(session) {
    CHECKLIST_FIELDS.forEach(function (f) { checklistError(f, ""); });
    $("checklist-status").textContent = "";
    $("checklist-title").textContent = "Checklist for " + formatRange(session.start, session.end);
    return api("GET", "sessions/" + encodeURIComponent(session.id) + "/checklist").then(function (answer) {
      fillChecklist(answer.data);
    }).catch(function (error) { $("checklist-status").textContent = describe(error); });
  }

  function saveChecklist(event) {
    event.preventDefault();
    if (!state.checklist) { return; }
    CHECKLIST_FIELDS.forEach(function (f) { checklistError(f, ""); });
    var body = {
      question: $("cl-question").value,
      options: [1, 2, 3].map(function (i) { return $("cl-option" + i).value; }),
      nextStep: $("cl-nextStep").value,
      successIndicator: $("cl-successIndicator").value,
      version: state.checklist.version
    };
    $("save-checklist").disabled = true;
    $("checklist-status").textContent = "Saving\u2026";
    var path = "sessions/" + encodeURIComponent(state.checklist.sessionId) + "/checklist";
    api("PUT", path, body).then(function (answer) {
      fillChecklist(answer.data);
      $("checklist-status").textContent = "Checklist saved.";
    }).catch(function (error) {
      $("checklist-status").textContent = "";
      if (error.status === 409) {
        $("checklist-status").textContent = describe(error) +
          " Your text is still in the form; reload the checklist to see theirs.";
      } else if (error.field) {
        var field = error.field.indexOf("options") === 0 ? "options" : error.field;
        checklistError(field, describe(error));
      } else {
        $("checklist-status").textContent = describe(error);
      }
    }).then(function () { $("save-checklist").disabled = false; });
  }

  // ---- mentors by skill, session lengths, onboarding sets ----------------------------------------

  function allowedLengths() {
    var lists = state.picked.map(function (p) { return p.allowedMinutes || LENGTHS; });
    return LENGTHS.filter(function (m) {
      return lists.every(function (list) { return list.indexOf(m) >= 0; });
    });
  }

  function fillLengths() {
    var select = $("minutes");
    var current = Number(select.value);
    var lengths = allowedLengths();
    select.textContent = "";
    lengths.forEach(function (m) {
      var option = document.createElement("option");
      option.value = String(m);
      option.textContent = m + " minutes";
      select.appendChild(option);
    });
    if (lengths.indexOf(current) >= 0) { select.value = String(current); }
    select.disabled = !lengths.length;
  }

  function searchSoon() {
    window.clearTimeout(state.searchTimer);
    state.searchTimer = window.setTimeout(searchMentors, 250);
  }

  function searchMentors() {
    var text = $("skill-search").value.trim();
    var seq = ++state.searchSeq;
    if (!text || !state.getToken) { showMentors([]); return; }
    api("GET", "mentors?" + new URLSearchParams({ skill: text }).toString()).then(function (answer) {
      if (seq === state.searchSeq) { showMentors(answer.data.mentors || []); }  // only the latest answer
    }).catch(function (error) {
      if (seq === state.searchSeq) { showMentors([]); showError(describe(error)); }
    });
  }

  function showMentors(mentors) {
    state.found = mentors;
    var box = $("mentor-results");
    box.textContent = "";
    var picked = state.picked.map(function (p) { return p.upn; });
    if (!mentors.length && $("skill-search").value.trim()) {
      var none = document.createElement("p");
      none.className = "hint";
      none.textContent = "No mentor lists that skill yet.";
      box.appendChild(none);
    }
    mentors.forEach(function (mentor) {
      var label = document.createElement("label");
      label.className = "mentor-option";
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.value = mentor.upn;
      tick.checked = picked.indexOf(mentor.upn) >= 0;
      tick.addEventListener("change", function () { pick(mentor, tick.checked); });
      var text = document.createElement("span");
      text.className = "mentor-text";
      var name = document.createElement("span");
      name.textContent = mentor.displayName + " (" + mentor.upn + ")";
      var skills = document.createElement("span");
      skills.className = "mentor-skills";
      skills.textContent = (mentor.skills || []).join(", ");
      text.appendChild(name);
      text.appendChild(skills);
      label.appendChild(tick);
      label.appendChild(text);
      box.appendChild(label);
    });
    syncPicks();
  }

  function pick(mentor, on) {
    state.picked = state.picked.filter(function (p) { return p.upn !== mentor.upn; });
    if (on) { state.picked.push(mentor); }
    syncPicks();
  }

  function syncPicks() {
    var count = state.picked.length;
    Array.prototype.forEach.call($("mentor-results").querySelectorAll("input"), function (tick) {
      tick.disabled = !tick.checked && count >= MAX_SET;
    });
    if (count === 1) { $("mentor").value = state.picked[0].upn; fieldError("mentor", ""); }
    var onboard = $("onboard");
    onboard.hidden = count < 2;
    onboard.textContent = "Book an onboarding set with " + count + " mentors";
    fillLengths();
  }

  function bookOnboarding() {
    showError("");
    var question = $("question").value.replace(/\s+/g, " ").trim();
    if (!fieldError("question", !question ? "Write your question in one sentence." : "")) { return; }
    var skill = $("topic").value.trim() || $("skill-search").value.trim();
    var body = {
      skill: skill,
      question: question,
      mentors: state.picked.map(function (p) { return p.upn; }),
      sessions: state.picked.length,
      minutes: Number($("minutes").value)
    };
    var text = JSON.stringify(body);
    if (!state.pending || state.pending.body !== text) { state.pending = { body: text, key: newKey() }; }
    busy("Booking your onboarding set\u2026");
    $("onboard").disabled = true;
    api("POST", "requests", body, { "Idempotency-Key": state.pending.key }).then(function (answer) {
      state.pending = null;
      var sessions = answer.data.sessions || [];
      var unmet = answer.data.unmet || [];
      if (unmet.length) {
        showError("Not booked: " + unmet.map(function (u) { return (u.mentor || "") + " " + u.reason; }).join("; "));
      }
      if (sessions.length) { showBooked(sessions[0], sessions.slice(1)); }
    }).catch(function (error) {
      if (error.status && error.status < 500) { state.pending = null; }
      showError(describe(error));
    }).then(function () { busy(""); $("onboard").disabled = false; });
  }

  function again() {
    $("done").hidden = true;
    $("series-panel").hidden = true;
    $("question").value = "";
    $("times").hidden = true;
    $("mentor").focus();
  }

  // ---- start -----------------------------------------------------------------------------------

  function start() {
    $("find").disabled = true;
    $("ask").addEventListener("submit", findTimes);
    $("book").addEventListener("click", book);
    $("again").addEventListener("click", again);
    $("skill-search").addEventListener("input", searchSoon);
    $("onboard").addEventListener("click", bookOnboarding);
    $("checklist").addEventListener("submit", saveChecklist);
    $("series-on").addEventListener("change", toggleSeries);
    $("stop-series").addEventListener("click", stopSeries);
    fillLengths();
    fillSuggestions(remembered());
    officeReady().then(function (office) {
      prefillMentor(office);
      return loadConfig().then(function (config) { return signIn(office, config); });
    }).then(signedIn).catch(function (error) {
      $("account").textContent = "Not signed in";
      showError("Could not sign you in: " + describe(error) + ".");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
