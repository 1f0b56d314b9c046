// 模拟器专用：在普通浏览器里代替微信 JS-SDK 的 `wx` 对象。
// Simulator only. Served by the fake WeChat API, never in production: the
// H5 pages load it instead of jweixin only when the simulator is on and the
// page is not inside WeChat. It plays the calls the pages use — config
// (checked by the fake as the platform would), chooseImage (a file picker),
// uploadImage (to the fake, which answers a media id), getLocation (the
// point the page names in data-sim-lat / data-sim-lng: the shop's address).
(function () {
  "use strict";
  if (window.wx) { return; }
  var script = document.currentScript;
  var base = script.src.replace(/\/sim\/jsapi\/fakewx\.js.*$/, "");
  var readyFns = [], errorFns = [], state = "new", files = {}, seq = 0;

  function settle() {
    var fns = state === "ready" ? readyFns : errorFns;
    readyFns = []; errorFns = [];
    fns.forEach(function (f) { try { f(state === "ready" ? undefined : { errMsg: "config:invalid signature" }); } catch (e) { console.error(e); } });
  }

  function panel(html) {
    var d = document.createElement("div");
    d.className = "fakewx-panel";
    d.setAttribute("style", "position:fixed;left:0;right:0;bottom:0;z-index:9999;background:#fff;border-top:2px solid #07c160;padding:12px;box-shadow:0 -4px 12px rgba(0,0,0,.2);font-size:15px");
    d.innerHTML = html;
    document.body.appendChild(d);
    return d;
  }

  window.wx = {
    simulated: true,
    config: function (c) {
      fetch(base + "/sim/jsapi/verify", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature, url: location.href.split("#")[0] })
      }).then(function (r) { return r.json(); }).then(function (j) {
        state = j.errcode === 0 ? "ready" : "error"; settle();
      }).catch(function () { state = "error"; settle(); });
    },
    ready: function (f) { readyFns.push(f); if (state === "ready") { settle(); } },
    error: function (f) { errorFns.push(f); if (state === "error") { settle(); } },
    chooseImage: function (o) {
      var d = panel('<div>模拟器：选择照片（代替微信拍照/相册）</div>' +
        '<input type="file" id="fakewx-file" accept="image/*" multiple style="margin:8px 0;max-width:100%">' +
        '<div><button type="button" id="fakewx-ok">确定</button> <button type="button" id="fakewx-cancel">取消</button></div>');
      d.querySelector("#fakewx-cancel").onclick = function () { d.remove(); if (o.cancel) { o.cancel(); } };
      d.querySelector("#fakewx-ok").onclick = function () {
        var picked = Array.prototype.slice.call(d.querySelector("#fakewx-file").files, 0, o.count || 9);
        d.remove();
        var ids = picked.map(function (f) { var id = "fakewx://" + (++seq); files[id] = f; return id; });
        if (ids.length === 0) { if (o.cancel) { o.cancel(); } return; }
        if (o.success) { o.success({ localIds: ids, errMsg: "chooseImage:ok" }); }
      };
    },
    uploadImage: function (o) {
      var f = files[o.localId];
      if (!f) { if (o.fail) { o.fail({ errMsg: "uploadImage:fail" }); } return; }
      var fd = new FormData();
      fd.append("media", f);
      fetch(base + "/sim/jsapi/upload", { method: "POST", body: fd }).then(function (r) { return r.json(); }).then(function (j) {
        if (j.errcode === 0 && j.serverId) { if (o.success) { o.success({ serverId: j.serverId, errMsg: "uploadImage:ok" }); } }
        else if (o.fail) { o.fail({ errMsg: "uploadImage:fail" }); }
      }).catch(function () { if (o.fail) { o.fail({ errMsg: "uploadImage:fail" }); } });
    },
    getLocalImgData: function (o) {
      var f = files[o.localId];
      if (!f) { if (o.fail) { o.fail({}); } return; }
      var r = new FileReader();
      r.onload = function () { if (o.success) { o.success({ localData: r.result }); } };
      r.readAsDataURL(f);
    },
    getLocation: function (o) {
      var lat = parseFloat(script.getAttribute("data-sim-lat")), lng = parseFloat(script.getAttribute("data-sim-lng"));
      setTimeout(function () {
        if (isNaN(lat) || isNaN(lng)) { if (o.fail) { o.fail({ errMsg: "getLocation:fail" }); } return; }
        if (o.success) { o.success({ latitude: lat, longitude: lng, speed: 0, accuracy: 30, errMsg: "getLocation:ok" }); }
      }, 0);
    }
  };
})();
