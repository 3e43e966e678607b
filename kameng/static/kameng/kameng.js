/*
 * Kameng's own script, and all of it: copy buttons, and three small helpers of the
 * storefront's pages (each page works without them):
 *
 *   <form data-once>              a second click while it is sent does nothing (one order)
 *   <form data-autosubmit="KEY">  sent as soon as the page is shown: the hand-off to the
 *                                 payment gateway. Once per KEY and tab, so "back" from
 *                                 the gateway stays on the page instead of bouncing.
 *   <strong data-countdown="MS">  mm:ss left until MS (epoch milliseconds), every second
 *
 * Copy buttons:
 *
 *   <button type="button" data-copy="TEXT" data-copied="已复制" data-copy-failed="…">复制</button>
 *
 * A click puts TEXT on the clipboard (navigator.clipboard; on a plain-http page, where
 * browsers do not offer it, a hidden textarea and execCommand) and the button says
 * data-copied for two seconds. If both ways fail (some in-app browsers), the button says
 * data-copy-failed and the code beside it (.secret__value) is selected for a long press.
 * One listener on the document, so buttons that htmx swaps in work too. No globals.
 */
(function () {
  "use strict";

  var labels = new WeakMap();
  var timers = new WeakMap();

  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.opacity = "0";
    area.style.fontSize = "16px"; // iOS would zoom in on a smaller one
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return copyWithTextarea(text);
        }
      );
    }
    return Promise.resolve(copyWithTextarea(text));
  }

  function selectBeside(button) {
    var block = button.closest(".secret");
    var value = block && block.querySelector(".secret__value");
    if (!value) return;
    var range = document.createRange();
    range.selectNodeContents(value);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function tell(button, copied) {
    if (!labels.has(button)) labels.set(button, button.textContent);
    button.textContent = copied
      ? button.getAttribute("data-copied") || "已复制"
      : button.getAttribute("data-copy-failed") || "请长按手动复制";
    button.classList.toggle("is-copied", copied);
    if (!copied) selectBeside(button);
    clearTimeout(timers.get(button));
    timers.set(
      button,
      setTimeout(function () {
        button.textContent = labels.get(button);
        button.classList.remove("is-copied");
      }, 2000)
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    copy(button.getAttribute("data-copy")).then(function (copied) {
      tell(button, copied);
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    // Let a page that comes back from the history (bfcache) be sent again.
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-sent");
    }, { once: true });
  });

  function remembered(key) {
    try {
      if (window.sessionStorage.getItem(key)) return true;
      window.sessionStorage.setItem(key, "1");
    } catch (error) {
      return false; // storage refused (private mode): send it anyway
    }
    return false;
  }

  function autosubmit() {
    var forms = document.querySelectorAll("form[data-autosubmit]");
    for (var i = 0; i < forms.length; i++) {
      var key = "kameng.autosubmit." + forms[i].getAttribute("data-autosubmit");
      if (!remembered(key)) forms[i].submit();
    }
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function countdowns() {
    var clocks = document.querySelectorAll("[data-countdown]");
    if (!clocks.length) return;
    function tick() {
      for (var i = 0; i < clocks.length; i++) {
        var left = Math.max(0, Math.floor((+clocks[i].getAttribute("data-countdown") - Date.now()) / 1000));
        clocks[i].textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      }
    }
    tick();
    setInterval(tick, 1000);
  }

  function ready() {
    autosubmit();
    countdowns();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
