/* The citizen chat widget: each message goes to /web/api/chat (relayed in-process to the intake bot). */
(function () {
  "use strict";
  var form = document.getElementById("chat-form"), input = document.getElementById("chat-input"), log = document.getElementById("chat-log");
  var sender = form.dataset.sender;

  function add(text, who, degraded, buttons) {
    var li = document.createElement("li");
    li.className = who + (degraded ? " degraded" : "");
    var label = document.createElement("span"); label.className = "visually-hidden"; label.textContent = who === "me" ? "我：" : "客服：";
    li.appendChild(label);
    li.appendChild(document.createTextNode(text));
    if (buttons && buttons.length) {
      var box = document.createElement("div"); box.className = "buttons";
      buttons.forEach(function (b) {
        var btn = document.createElement("button"); btn.type = "button"; btn.textContent = b.title;
        btn.addEventListener("click", function () { send(b.payload, b.title); });
        box.appendChild(btn);
      });
      li.appendChild(box);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  async function send(message, shown) {
    add(shown || message, "me");
    try {
      var out = await window.Hotline.api("POST", "/web/api/chat", { sender: sender, message: message });
      (out.messages || []).forEach(function (m) { if (m.text) add(m.text, "bot", out.degraded, m.buttons); });
    } catch (e) {
      add("消息未能送达：" + e.message + " 您也可以使用“我要反映”表单或拨打 12345。", "bot", true);
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
    input.focus();
  });
  add("您好，这里是 12345 市民服务热线在线客服。请问您要反映什么问题？", "bot");
})();
