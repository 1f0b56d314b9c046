// 督导检查表：the visit report's H5 form. Every change is kept in the phone
// (localStorage) and posted to the server, which saves it into the same
// draft as the chat; the copy in the phone goes once the server has it, so
// a dropped connection loses nothing. Photos and the location come from
// WeChat's JS-SDK (wx); on the simulator, outside WeChat, a stand-in wx.
(function () {
  "use strict";
  var VF = window.VF, $ = function (s) { return document.querySelector(s); };
  var $$ = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var storeKey = "vf:" + location.pathname;
  var conv = VF.state.conv || "", form = VF.state.form || {}, replace = false;
  var inflight = false, again = false, sentJSON = "", submitting = false, done = false;
  var thumbs = {}; // media id → picture to show (this session only)
  var wxReady = false;
  var items = $$("fieldset.item").map(function (f) { return f.getAttribute("data-id"); });
  var notePrompts = { changed: "变更情况（如新名称、新负责人）", relocated: "新地址", suspended: "停业情况（如停业原因、预计恢复时间）" };

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function keep(pending) {
    try { localStorage.setItem(storeKey, JSON.stringify({ conv: conv, form: form, pending: pending })); } catch (e) { /* private mode: the server copy still counts */ }
  }
  function forget() { try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ } }

  function banner(text, kind) {
    var b = $("#banner");
    b.textContent = text; b.className = "card " + (kind || ""); b.hidden = !text;
  }

  // --- the form in the page ---
  function item(id) { form.items = form.items || {}; return form.items[id] || (form.items[id] = { result: "" }); }

  function render() {
    setRadio("mode", form.mode || "onsite");
    items.forEach(function (id) {
      var it = item(id), box = $("#item-" + id + " .issue-box");
      setRadio("r-" + id, it.result || "");
      box.hidden = it.result !== "issue";
      $("#desc-" + id).value = it.desc || "";
      $("#deadline-" + id).value = it.deadline || "";
      renderPhotos(id);
    });
    var loc = form.location;
    $("#loc-text").textContent = loc ? "已定位：" + (loc.label || (loc.lat.toFixed(5) + "，" + loc.lng.toFixed(5))) : "尚未定位";
    setRadio("status", form.status || "normal");
    $("#status-note").value = form.statusNote || "";
    renderStatus();
    $("#contact").value = form.contact || "";
    var lt = $("#letter");
    if (lt) { lt.checked = !!form.letter; }
    renderLetter();
  }
  function renderStatus() {
    var st = form.status || "normal";
    $("#note-box").hidden = st === "normal";
    $("#note-label").textContent = notePrompts[st] || "情况说明";
  }
  function renderLetter() {
    var box = $("#letter-box");
    if (box) { box.hidden = !items.some(function (id) { return item(id).result === "issue"; }); }
  }
  function renderPhotos(id) {
    var wrap = $("#photos-" + id + " .thumbs"), photos = item(id).photos || [];
    wrap.innerHTML = "";
    photos.forEach(function (mid, i) {
      var t = document.createElement("div");
      t.className = "thumb";
      if (thumbs[mid]) { var img = document.createElement("img"); img.src = thumbs[mid]; img.alt = "照片" + (i + 1); t.appendChild(img); }
      else { t.appendChild(document.createTextNode("照片" + (i + 1))); }
      var x = document.createElement("button");
      x.type = "button"; x.textContent = "×"; x.title = "删除";
      x.onclick = function () { item(id).photos.splice(i, 1); renderPhotos(id); changed(); };
      t.appendChild(x);
      wrap.appendChild(t);
    });
    $("#photos-" + id + " .add-photo").disabled = !wxReady || photos.length >= 9;
  }
  function setRadio(name, value) {
    $$('input[name="' + name + '"]').forEach(function (r) { r.checked = r.value === value; });
  }
  function radio(name) {
    var r = document.querySelector('input[name="' + name + '"]:checked');
    return r ? r.value : "";
  }
  function collect() {
    form.mode = radio("mode");
    items.forEach(function (id) {
      var it = item(id);
      it.result = radio("r-" + id);
      it.desc = $("#desc-" + id).value;
      it.deadline = $("#deadline-" + id).value;
    });
    form.status = radio("status");
    form.statusNote = $("#status-note").value;
    form.contact = $("#contact").value;
    var lt = $("#letter");
    form.letter = lt ? lt.checked : false;
  }

  // --- saving as you go ---
  var timer = null;
  function changed(slow) {
    collect();
    keep(true);
    renderLetter(); renderStatus();
    items.forEach(function (id) { $("#item-" + id + " .issue-box").hidden = item(id).result !== "issue"; });
    clearTimeout(timer);
    timer = setTimeout(save, slow ? 800 : 0);
  }
  function body(submit) {
    return JSON.stringify({ csrf: VF.csrf, conv: conv, form: form, replace: replace, submit: !!submit });
  }
  function send(submit) {
    return fetch(VF.post, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: body(submit) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error((j.error && j.error.message) || "保存失败，请稍后重试。"); e.server = true; e.status = r.status; throw e; }
          return j;
        });
      });
  }
  function save() {
    if (done || submitting) { return; }
    if (inflight) { again = true; return; }
    inflight = true; again = false;
    var posted = JSON.stringify(form);
    send(false).then(function (j) {
      answered(j);
      if (j.other) { banner("尚未保存：聊天中还有另一份督导草稿。", "error"); return; }
      if (!again && JSON.stringify(form) === posted) { keep(false); }
      banner("已自动保存 " + j.saved, "saved");
    }).catch(failed).then(function () {
      inflight = false;
      if (again) { save(); }
    });
  }
  function failed(e) {
    if (e.server) {
      banner(e.message, "error");
      if (e.status === 409) { forget(); }
      return;
    }
    banner("网络不通：内容已暂存在手机上，网络恢复后会自动保存。", "offline");
  }
  function answered(j) {
    if (j.conv) { conv = j.conv; }
    $("#other").hidden = !j.other;
    if (j.other) { $("#other-name").textContent = j.other; }
    showProblems(j.problems || [], j.missing || []);
    if (j.done) { finished(j.done); }
  }
  function showProblems(problems, missing) {
    $$(".vf .err").forEach(function (e) { e.textContent = ""; });
    $$(".bad-field").forEach(function (e) { e.classList.remove("bad-field"); });
    problems.concat(missing).forEach(function (p) {
      var e = document.querySelector('.err[data-for="' + p.field + '"]');
      if (e) { e.textContent = p.text; }
      var f = p.field && document.getElementById(p.field);
      if (f) { f.classList.add("bad-field"); }
    });
    var m = $("#missing");
    m.hidden = missing.length === 0;
    var ul = m.querySelector("ul"); ul.innerHTML = "";
    missing.forEach(function (p) { var li = document.createElement("li"); li.textContent = p.text; ul.appendChild(li); });
  }
  function finished(d) {
    done = true; forget();
    $("#vf").hidden = true; $("#other").hidden = true;
    $("#done").hidden = false;
    $("#receipt").textContent = d.receipt || "这份督导已经提交（可能是在公众号聊天中提交的）。";
    $("#receipt-link").href = d.url;
    banner("", "");
    window.scrollTo(0, 0);
  }
  function submit(ev) {
    ev.preventDefault();
    if (done || submitting) { return; }
    collect(); keep(true);
    submitting = true; $("#submit").disabled = true;
    banner("正在提交……", "");
    send(true).then(function (j) {
      answered(j);
      if (!j.done) {
        keep(false);
        banner(j.other ? "尚未提交：聊天中还有另一份督导草稿。" : "还有内容需要补充，请按提示修改后再提交。", "error");
        var first = document.querySelector(".bad-field") || $("#missing");
        if (first && first.scrollIntoView) { first.scrollIntoView({ block: "center" }); }
      }
    }).catch(function (e) {
      if (e.server) { failed(e); } else { banner("网络不通，尚未提交：内容已暂存在手机上，网络恢复后请再点“提交督导”。", "offline"); }
    }).then(function () { submitting = false; $("#submit").disabled = false; });
  }

  // --- WeChat JS-SDK ---
  function sdk(cb) {
    if (window.wx) { cb(); return; }
    var inWeChat = /MicroMessenger/i.test(navigator.userAgent), s = document.createElement("script");
    if (inWeChat) { s.src = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"; }
    else if (VF.fakeWX) {
      s.src = VF.fakeWX;
      s.setAttribute("data-sim-lat", VF.simLat); s.setAttribute("data-sim-lng", VF.simLng);
    } else { noSDK("请在微信中打开本页面，才能拍照和定位。"); return; }
    s.onload = cb;
    s.onerror = function () { noSDK("微信接口加载失败，暂时无法拍照和定位；其余内容可以照常填写。"); };
    document.head.appendChild(s);
  }
  function noSDK(text) {
    $("#loc-text").textContent = text;
    banner(text, "offline");
  }
  function setupWX() {
    if (!VF.wx) { noSDK("微信接口暂不可用，暂时无法拍照和定位；其余内容可以照常填写。"); return; }
    sdk(function () {
      wx.config({ debug: false, appId: VF.wx.appId, timestamp: VF.wx.timestamp, nonceStr: VF.wx.nonceStr, signature: VF.wx.signature,
        jsApiList: ["chooseImage", "uploadImage", "getLocalImgData", "getLocation"] });
      wx.ready(function () {
        wxReady = true;
        $("#locate").disabled = false;
        items.forEach(renderPhotos);
      });
      wx.error(function () { noSDK("微信接口验证失败，暂时无法拍照和定位；请稍后重新打开本页面。"); });
    });
  }
  function addPhotos(id) {
    var have = (item(id).photos || []).length;
    wx.chooseImage({ count: Math.max(1, 9 - have), sizeType: ["compressed"], sourceType: ["camera", "album"], success: function (res) {
      var ids = res.localIds.slice();
      (function next() {
        var localId = ids.shift();
        if (!localId) { return; }
        wx.uploadImage({ localId: localId, isShowProgressTips: 1, success: function (r) {
          var it = item(id);
          it.photos = (it.photos || []).concat([r.serverId]);
          showThumb(r.serverId, localId, id);
          renderPhotos(id); changed(); next();
        }, fail: function () { banner("照片上传失败，请检查网络后重试。", "error"); } });
      })();
    } });
  }
  function showThumb(mediaId, localId, id) {
    if (wx.getLocalImgData && (window.__wxjs_is_wkwebview || wx.simulated)) {
      wx.getLocalImgData({ localId: localId, success: function (r) {
        var d = r.localData || "";
        thumbs[mediaId] = d.indexOf("data:") === 0 ? d : "data:image/jpeg;base64," + d;
        renderPhotos(id);
      } });
    } else { thumbs[mediaId] = localId; }
  }
  function locate() {
    $("#loc-text").textContent = "正在定位……";
    wx.getLocation({ type: "gcj02", success: function (r) {
      form.location = { lat: r.latitude, lng: r.longitude };
      render(); changed();
    }, fail: function () { $("#loc-text").textContent = "定位失败：请确认已允许微信使用位置信息，然后重试。"; } });
  }

  // --- start ---
  var saved = load();
  if (saved && saved.pending && saved.form && (saved.conv || "") === conv) {
    form = saved.form; // edits the server never got
  }
  render();
  if (saved && saved.pending && (saved.conv || "") === conv) { save(); }
  showProblems(VF.state.problems || [], []);
  $("#vf").addEventListener("change", function (ev) { changed(ev.target.tagName === "TEXTAREA" || ev.target.type === "text"); });
  $("#vf").addEventListener("input", function (ev) { if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") { changed(true); } });
  $("#vf").addEventListener("submit", submit);
  $("#vf").addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest(".add-photo");
    if (b && wxReady) { addPhotos(b.getAttribute("data-id")); }
  });
  $("#all-ok").onclick = function () {
    items.forEach(function (id) { if (!radio("r-" + id)) { setRadio("r-" + id, "ok"); } });
    changed();
  };
  $("#locate").onclick = function () { if (wxReady) { locate(); } };
  $("#replace").onclick = function () { replace = true; $("#other").hidden = true; changed(); };
  window.addEventListener("online", function () { if (!done) { save(); } });
  setupWX();
})();
