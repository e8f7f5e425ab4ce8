/* The small script layer shared by every page: JSON calls to the /v1 API with the session cookie, and the
   action forms (class "api-form", data-kind = one of KINDS below). */
(function () {
  "use strict";
  var MAX_PHOTO_BYTES = 8 * 1024 * 1024;

  function errorMessage(data, status) {
    if (data && data.error && data.error.message) return data.error.message;
    if (data && typeof data.detail === "string") return data.detail;
    return "请求未成功（HTTP " + status + "），请稍后再试。";
  }

  async function api(method, url, body) {
    var init = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var res;
    try { res = await fetch(url, init); } catch (e) { throw new Error("网络连接失败，请检查网络后重试。"); }
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error(errorMessage(data, res.status));
    return data;
  }

  async function uploadPhoto(file) {
    if (file.size > MAX_PHOTO_BYTES) throw new Error("照片过大（上限 8 MB），请压缩后再上传。");
    var res = await fetch("/web/photos", { method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream" } });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error(errorMessage(data, res.status));
    return data.url;
  }

  /* The form's named fields as JSON: empty strings left out, data-type="bool" → true/false, numbers → numbers. */
  function formJson(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit" || el.disabled) return;
      if (el.type === "checkbox") { out[el.name] = el.checked; return; }
      var value = (el.value || "").trim();
      if (value === "") return;
      if (el.dataset.type === "bool") out[el.name] = value === "true";
      else if (el.type === "number") out[el.name] = Number(value);
      else out[el.name] = value;
    });
    return out;
  }

  var KINDS = {
    /* A closed-loop action: POST /v1/orders/{n}/actions/{name}; a chosen photo is uploaded first (photo_url). */
    action: async function (form, data) {
      var photo = form.querySelector("input[type=file]");
      if (photo && photo.files && photo.files.length) data.photo_url = await uploadPhoto(photo.files[0]);
      return api("POST", "/v1/orders/" + encodeURIComponent(form.dataset.number) + "/actions/" + form.dataset.action, data);
    },
    /* An agent's corrections (only the fields changed), then, unless data-accept="0", 立案 for dispatch. */
    "correct-accept": async function (form, data) {
      var number = encodeURIComponent(form.dataset.number);
      var changes = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-initial]"), function (el) {
        var value = (el.value || "").trim();
        if (value !== "" && value !== el.dataset.initial) changes[el.name] = value;
      });
      if (Object.keys(changes).length) {
        changes.reason = data.reason || "坐席审核修正";
        await api("PATCH", "/v1/orders/" + number, changes);
      }
      if (form.dataset.accept !== "0") return api("POST", "/v1/orders/" + number + "/accept", { reason: "坐席审核通过" });
      return null;
    }
  };

  function say(form, text, ok) {
    var box = form.querySelector(".form-msg");
    if (!box) return;
    box.textContent = text;
    box.className = "form-msg " + (ok ? "ok" : "error");
  }

  document.addEventListener("submit", async function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("api-form")) return;
    ev.preventDefault();
    var run = KINDS[form.dataset.kind];
    if (!run) return;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    say(form, "处理中…", true);
    try {
      var result = await run(form, formJson(form));
      var status = result && result.status_label ? "（当前状态：" + result.status_label + "）" : "";
      say(form, "已完成" + status + "，正在刷新…", true);
      window.setTimeout(function () { window.location.reload(); }, 500);
    } catch (e) {
      say(form, e.message, false);
      buttons.forEach(function (b) { b.disabled = false; });
    }
  });

  window.Hotline = { api: api, uploadPhoto: uploadPhoto, formJson: formJson };
})();
