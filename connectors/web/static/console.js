/* The agent console: live transcript (WebSocket /v1/speech/stream, or typed), the suggestion filling in field by
   field (/web/api/suggest), possible duplicates, and accept / correct / submit in one action. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var f = function (name) { return document.querySelector('[data-f="' + name + '"]'); };
  var transcript = $("transcript"), speechStatus = $("speech-status"), partial = $("partial"), result = $("result");
  var fields = { category_code: $("category-code"), location_normalized: $("place"), department_id: $("department"), urgency: $("urgency") };
  var touched = {};
  var suggestion = null;
  var timer = null, seq = 0, socket = null, audio = null;

  function pct(x) { return x == null ? "" : Math.round(x * 100) + "%"; }
  function list(el, items) {
    el.textContent = "";
    (items || []).forEach(function (text) { var li = document.createElement("li"); li.textContent = text; el.appendChild(li); });
  }
  function conf(el, value) {
    el.textContent = value == null ? "" : "置信度 " + pct(value);
    el.classList.toggle("low", value != null && value < 0.5);
  }
  function setField(name, value) {
    if (!touched[name]) fields[name].value = value == null ? "" : value;
  }

  Object.keys(fields).forEach(function (name) {
    var mark = function () { touched[name] = true; };
    fields[name].addEventListener("input", mark);
    fields[name].addEventListener("change", mark);
  });

  function showDuplicates(items) {
    var box = f("duplicates");
    box.textContent = "";
    if (!items || !items.length) { var p = document.createElement("p"); p.className = "muted"; p.textContent = "暂无"; box.appendChild(p); return; }
    items.forEach(function (d) {
      var div = document.createElement("div");
      div.className = "dup";
      var a = document.createElement("a");
      a.href = "/orders/" + d.number; a.textContent = d.number; a.target = "_blank"; a.rel = "noopener";
      div.appendChild(a);
      var facts = [d.status_label, d.category || "未分类", d.place || "", d.distance_m != null ? "相距约 " + d.distance_m + " 米" : "",
        d.age_hours + " 小时前受理", d.reporter_count > 1 ? d.reporter_count + " 人反映" : ""].filter(Boolean);
      div.appendChild(document.createTextNode(" " + facts.join(" · ")));
      var p = document.createElement("p"); p.className = "small"; p.textContent = "“" + d.text + "” — " + d.reasons.join("；");
      div.appendChild(p);
      box.appendChild(div);
    });
  }

  function fill(s) {
    suggestion = s;
    var cat = s.category || {};
    setField("category_code", cat.code);
    f("category-name").textContent = cat.path ? cat.path.join(" / ") : "未能分类";
    conf(f("category-conf"), cat.confidence);
    list(f("category-reasons"), cat.reasons);
    var cands = f("category-candidates");
    cands.textContent = "";
    (s.category_candidates || []).slice(1, 4).forEach(function (c) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = c.name + " " + pct(c.confidence);
      b.setAttribute("aria-label", "改为候选分类 " + c.name + "，置信度 " + pct(c.confidence));
      b.addEventListener("click", function () { fields.category_code.value = c.code; touched.category_code = true; });
      cands.appendChild(b);
    });
    var loc = s.location || {};
    setField("location_normalized", loc.normalized);
    f("place-detail").textContent = [loc.street, loc.community, loc.grid ? "网格 " + loc.grid : ""].filter(Boolean).join(" · ") || (s.location ? "" : "未识别地点");
    conf(f("place-conf"), s.location ? loc.confidence : null);
    list(f("place-reasons"), loc.reasons);
    var dep = s.department || {};
    setField("department_id", dep.id || "");
    conf(f("department-conf"), s.department ? dep.confidence : null);
    list(f("department-reasons"), dep.reasons);
    setField("urgency", s.urgency || "normal");
    list(f("urgency-reasons"), s.urgency_reasons);
    var handover = f("handover");
    handover.hidden = !s.emergency_handover;
    handover.textContent = s.emergency_handover ? "紧急情况：请同时转接 " + s.emergency_handover : "";
    f("deadline").textContent = s.deadline || "—";
    list(f("review"), s.review_reasons && s.review_reasons.length ? s.review_reasons : ["无"]);
    showDuplicates(s.duplicates);
  }

  async function refresh() {
    var text = transcript.value.trim();
    var state = $("sugg-state");
    if (!text) { state.textContent = "等待来电内容…"; return; }
    var mine = ++seq;
    state.textContent = "分析中…";
    try {
      var s = await window.Hotline.api("POST", "/web/api/suggest", { text: text, location: $("location-hint").value.trim() || null });
      if (mine !== seq) return;  // a newer request is on its way
      fill(s);
      state.textContent = "已更新";
    } catch (e) {
      if (mine === seq) state.textContent = "分析失败：" + e.message;
    }
  }
  function schedule() { window.clearTimeout(timer); timer = window.setTimeout(refresh, 350); }
  transcript.addEventListener("input", schedule);
  $("location-hint").addEventListener("input", schedule);

  function corrections() {
    var out = {};
    if (!suggestion) return out;
    var suggested = {
      category_code: (suggestion.category || {}).code || "",
      location_normalized: (suggestion.location || {}).normalized || "",
      department_id: (suggestion.department || {}).id || "",
      urgency: suggestion.urgency || "normal"
    };
    Object.keys(fields).forEach(function (name) {
      var value = fields[name].value.trim();
      if (value && value !== suggested[name]) out[name] = value;
    });
    return out;
  }

  function report(text, ok, number) {
    result.textContent = "";
    var p = document.createElement("p");
    p.className = ok ? "ok" : "error";
    p.textContent = text;
    if (number) {
      p.appendChild(document.createTextNode(" "));
      var a = document.createElement("a"); a.href = "/orders/" + number; a.textContent = "查看工单 " + number; a.id = "result-link";
      p.appendChild(a);
    }
    result.appendChild(p);
  }

  async function submit() {
    var text = transcript.value.trim();
    if (!text) { report("请先输入或转写来电内容。", false); transcript.focus(); return; }
    var button = $("submit");
    button.disabled = true;
    try {
      if (seq === 0 || !suggestion) await refresh();
      var body = { text: text, location: $("location-hint").value.trim() || null,
        contact_name: $("contact-name").value.trim() || null, contact_phone: $("contact-phone").value.trim() || null,
        corrections: corrections(), reason: $("fix-reason").value.trim() || "坐席修正智能填单建议" };
      var out = await window.Hotline.api("POST", "/web/api/console/submit", body);
      report("工单 " + out.number + "：" + out.message + "。", true, out.number);
    } catch (e) {
      report("提交失败：" + e.message, false);
    } finally {
      button.disabled = false;
    }
  }
  $("submit").addEventListener("click", submit);

  function reset() {
    stopCall();
    transcript.value = ""; partial.textContent = ""; result.textContent = "";
    ["contact-name", "contact-phone", "location-hint"].forEach(function (id) { $(id).value = ""; });
    touched = {}; suggestion = null; seq = 0;
    Object.keys(fields).forEach(function (name) { fields[name].value = name === "urgency" ? "normal" : ""; });
    ["category-name", "category-conf", "place-detail", "place-conf", "department-conf"].forEach(function (n) { f(n).textContent = ""; });
    ["category-reasons", "place-reasons", "department-reasons", "urgency-reasons", "review"].forEach(function (n) { list(f(n), []); });
    f("category-candidates").textContent = ""; f("deadline").textContent = "—"; f("handover").hidden = true;
    showDuplicates([]);
    $("sugg-state").textContent = "等待来电内容…";
    transcript.focus();
  }
  $("next-call").addEventListener("click", reset);

  /* -- live speech ------------------------------------------------------------------------------------------ */
  var SPEECH_ERRORS = {
    speech_model_missing: "语音识别模型未安装，无法实时转写。请直接在“来电内容”中输入来电人所说的话，智能填单照常工作。",
    speech_model_unusable: "语音识别模型不可用。请直接在“来电内容”中输入来电人所说的话。"
  };

  function stopAudio() {
    if (!audio) return;
    try { audio.source.disconnect(); audio.node.disconnect(); audio.stream.getTracks().forEach(function (t) { t.stop(); }); audio.ctx.close(); } catch (e) { /* already closed */ }
    audio = null;
  }
  function stopCall() {
    stopAudio();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send("EOF");
    $("call-start").disabled = false; $("call-stop").disabled = true;
  }

  async function startAudio(rate) {
    var stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
    var ctx = new (window.AudioContext || window.webkitAudioContext)({ sampleRate: rate });
    var source = ctx.createMediaStreamSource(stream);
    var node = ctx.createScriptProcessor(4096, 1, 1);
    node.onaudioprocess = function (ev) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      var input = ev.inputBuffer.getChannelData(0), pcm = new Int16Array(input.length);
      for (var i = 0; i < input.length; i++) { var v = Math.max(-1, Math.min(1, input[i])); pcm[i] = v < 0 ? v * 0x8000 : v * 0x7fff; }
      socket.send(pcm.buffer);
    };
    source.connect(node); node.connect(ctx.destination);
    audio = { stream: stream, ctx: ctx, source: source, node: node };
    return ctx.sampleRate;
  }

  function startCall() {
    var rate = 16000;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/speech/stream?sample_rate=" + rate + "&punctuation=true";
    $("call-start").disabled = true; $("call-stop").disabled = false;
    speechStatus.textContent = "正在连接语音识别…";
    try { socket = new WebSocket(url); } catch (e) { speechStatus.textContent = "无法连接语音识别：" + e.message; stopCall(); return; }
    socket.binaryType = "arraybuffer";
    var failed = false;
    socket.onmessage = async function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "ready") {
        speechStatus.textContent = "通话中：正在实时转写…";
        try { await startAudio(msg.sample_rate || rate); }
        catch (e) { speechStatus.textContent = "无法使用麦克风（" + (e.message || e.name) + "）。请直接输入来电内容。"; stopCall(); }
      } else if (msg.type === "partial") {
        partial.textContent = msg.text || "";
      } else if (msg.type === "final") {
        partial.textContent = "";
        if (msg.text) { transcript.value = (transcript.value ? transcript.value + (/[。？！，,.?!]$/.test(transcript.value) ? "" : "，") : "") + msg.text; schedule(); }
      } else if (msg.type === "error") {
        failed = true;
        speechStatus.textContent = SPEECH_ERRORS[msg.code] || ("语音识别出错：" + msg.message + "。请直接输入来电内容。");
        speechStatus.className = "error";
        if (msg.code === "speech_model_missing" || msg.code === "speech_model_unusable") transcript.focus();
      } else if (msg.type === "end") {
        speechStatus.textContent = "通话已结束（" + Math.round(msg.audio_seconds || 0) + " 秒）。";
      }
    };
    socket.onerror = function () { if (!failed) speechStatus.textContent = "语音识别连接失败。请直接输入来电内容。"; };
    socket.onclose = function () { stopAudio(); $("call-start").disabled = false; $("call-stop").disabled = true; socket = null; };
  }
  $("call-start").addEventListener("click", startCall);
  $("call-stop").addEventListener("click", stopCall);

  /* -- keyboard shortcuts ------------------------------------------------------------------------------------ */
  var FOCUS_KEYS = { t: "transcript", k: "category-code", d: "department", u: "urgency" };
  document.addEventListener("keydown", function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") { ev.preventDefault(); submit(); return; }
    if (ev.altKey && !ev.ctrlKey) {
      var key = (ev.key || "").toLowerCase();
      if (key === "n") { ev.preventDefault(); reset(); return; }
      if (FOCUS_KEYS[key]) { ev.preventDefault(); $(FOCUS_KEYS[key]).focus(); }
    }
  });
})();
