// Skill suggestions on the profile form: as the member types in "Look for skills", the
// field's <datalist> is filled with ESCO skills in their language. Our own small script; the
// form works without it ("Find skills" sends the form back with the skills found).
(function () {
  "use strict";

  var field = document.getElementById("f-skill_q");
  var list = document.getElementById("skill-suggestions");
  if (!field || !list || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = "";

  function fill(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.label;
      list.appendChild(option);
    });
  }

  function suggest() {
    var words = field.value.trim();
    if (words.length < 2 || words === asked) {
      return;
    }
    asked = words;
    fetch("/account/profile/skills?q=" + encodeURIComponent(words), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { if (field.value.trim() === words) { fill(body.items || []); } })
      .catch(function () { /* no suggestions: "Find skills" still works */ });
  }

  field.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, 250);
  });
})();
