(function () {
  "use strict";
  // Keyboard-first reading: j/k hunks, n/p findings, x expand/collapse, ? keys. The place
  // is kept in the URL fragment (replaceState: moving about does not fill the history).
  var hunks = Array.prototype.slice.call(document.querySelectorAll("details.hunk"));
  var keys = document.getElementById("keys");
  var floating = document.getElementById("float-tip");
  var current = -1;
  var tipFor = null;  // the mark whose tip is shown: hovered or focused, whichever came last

  // A finding's tooltip is shown as a copy on the body (not clipped by the file sections'
  // lazy rendering); the one in place stays as the mark's accessible description.
  function showTip(mark) {
    var tip = document.getElementById(mark.getAttribute("aria-describedby"));
    if (!tip) return;
    tipFor = mark;
    floating.innerHTML = tip.innerHTML;
    floating.hidden = false;
    var box = mark.getBoundingClientRect();
    var height = floating.offsetHeight;
    var below = box.bottom + 4;
    floating.style.top = (below + height > window.innerHeight ? Math.max(4, box.top - height - 4) : below) + "px";
    floating.style.left = Math.max(4, Math.min(box.left, window.innerWidth - floating.offsetWidth - 8)) + "px";
  }

  function hideTip() {
    floating.hidden = true;
    tipFor = null;
  }

  function materialize(hunk) {
    var template = hunk.querySelector(":scope > template");
    if (!template) return;
    var later = hunk.querySelector(":scope > p.later");
    hunk.insertBefore(template.content.cloneNode(true), template);
    hunk.removeChild(template);
    if (later) hunk.removeChild(later);
    hunk.classList.remove("lazy");
  }

  function open(hunk) {
    materialize(hunk);
    hunk.open = true;
  }

  function hunkOf(node) {
    return node && node.closest ? node.closest("details.hunk") : null;
  }

  function remember(id) {
    if (location.hash !== "#" + id) history.replaceState(null, "", "#" + id);
  }

  function show(element, block) {
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: block || "start" });
  }

  function position() {
    var hunk = hunkOf(document.activeElement);
    if (hunk) current = hunks.indexOf(hunk);
    return current;
  }

  function moveHunk(step) {
    if (!hunks.length) return;
    var at = position();
    var next = at < 0 ? (step > 0 ? 0 : hunks.length - 1) : at + step;
    next = Math.max(0, Math.min(hunks.length - 1, next));
    current = next;
    show(hunks[next].querySelector("summary"));
    remember(hunks[next].id);
  }

  // Findings of one hunk in order, whether rendered yet or still in its template.
  function findingsIn(hunk) {
    var template = hunk.querySelector(":scope > template");
    var root = template ? template.content : hunk;
    return Array.prototype.slice.call(root.querySelectorAll("mark.sq[id]")).map(function (m) {
      return m.id;
    });
  }

  function moveFinding(step) {
    var at = position();
    var active = document.activeElement;
    var here = active && active.matches && active.matches("mark.sq[id]") ? active.id : null;
    var order = [];
    hunks.forEach(function (hunk, index) {
      findingsIn(hunk).forEach(function (id) {
        order.push({ hunk: index, id: id });
      });
    });
    if (!order.length) return;
    var target = null;
    var i;
    if (here) {
      for (i = 0; i < order.length; i++) if (order[i].id === here) break;
      target = order[i + step] || null;
    } else if (step > 0) {
      for (i = 0; i < order.length && !target; i++) if (order[i].hunk >= Math.max(at, 0)) target = order[i];
    } else {
      for (i = order.length - 1; i >= 0 && !target; i--) if (order[i].hunk < Math.max(at, 0) || at < 0) target = order[i];
    }
    if (!target) return;
    open(hunks[target.hunk]);
    current = target.hunk;
    var mark = document.getElementById(target.id);
    if (mark) {
      show(mark, "center");
      remember(target.id);
    }
  }

  function toggle() {
    var at = position();
    if (at < 0) return;
    var hunk = hunks[at];
    if (hunk.open) {
      hunk.open = false;
      hunk.querySelector("summary").focus();
    } else {
      open(hunk);
    }
    remember(hunk.id);
  }

  function toggleKeys() {
    if (keys.open) keys.close();
    else keys.showModal();
  }

  function restore() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var element = document.getElementById(id);
    if (!element && /^f-\d+$/.test(id)) {
      // A finding still in a deferred hunk, or one that shares its line with another.
      hunks.forEach(function (hunk) {
        var template = hunk.querySelector(":scope > template");
        if (template && template.content.querySelector('[data-f~="' + id.slice(2) + '"]')) open(hunk);
      });
      element = document.querySelector('[data-f~="' + id.slice(2) + '"]');
    }
    if (!element) return;
    var hunk = hunkOf(element);
    if (hunk) {
      open(hunk);
      current = hunks.indexOf(hunk);
    }
    if (element.tagName === "DETAILS") element = element.querySelector("summary");
    show(element, element.tagName === "MARK" ? "center" : "start");
  }

  hunks.forEach(function (hunk) {
    hunk.addEventListener("toggle", function () {
      if (hunk.open) materialize(hunk);
    });
  });

  document.addEventListener("mouseover", function (event) {
    var mark = event.target.closest ? event.target.closest("mark.sq[aria-describedby]") : null;
    if (mark) showTip(mark);
  });
  document.addEventListener("mouseout", function (event) {
    var mark = event.target.closest ? event.target.closest("mark.sq[aria-describedby]") : null;
    if (mark && document.activeElement !== mark) hideTip();
  });
  document.addEventListener("focusout", hideTip);
  // A scroll moves the tip with its own mark, never over to the focused one: scrolling to a
  // hovered mark showed the focused mark's finding beside the hovered line.
  window.addEventListener("scroll", function () {
    if (!floating.hidden && tipFor) showTip(tipFor);
  }, { passive: true });

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("mark.sq[aria-describedby]")) showTip(target);
    var hunk = hunkOf(target);
    if (!hunk) return;
    current = hunks.indexOf(hunk);
    if (target.matches("mark.sq[id]")) remember(target.id);
    else if (target.tagName === "SUMMARY") remember(hunk.id);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hideTip();
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (keys.open && event.key !== "?") return;
    var actions = {
      j: function () { moveHunk(1); },
      k: function () { moveHunk(-1); },
      n: function () { moveFinding(1); },
      p: function () { moveFinding(-1); },
      x: toggle,
      "?": toggleKeys
    };
    var action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  document.getElementById("show-keys").addEventListener("click", toggleKeys);
  document.getElementById("close-keys").addEventListener("click", function () { keys.close(); });
  var renderAll = document.getElementById("render-all");
  if (renderAll) {
    renderAll.addEventListener("click", function () {
      hunks.forEach(materialize);
      renderAll.disabled = true;
      renderAll.textContent = "All hunks rendered";
    });
  }
  window.addEventListener("hashchange", restore);
  restore();
})();
