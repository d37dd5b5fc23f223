// storydiff web app: the only script (allowed by its hash). Opens the <details> holding a linked evidence sentence
// and lets "/" focus the search box. It reads no article data.
function openTarget() {
  var id = decodeURIComponent(location.hash.slice(1));
  var el = id && document.getElementById(id);
  for (var node = el; node; node = node.parentElement) { if (node.tagName === 'DETAILS') node.open = true; }
  if (el) el.scrollIntoView({block: 'center'});
}
window.addEventListener('hashchange', openTarget);
window.addEventListener('DOMContentLoaded', openTarget);
document.addEventListener('keydown', function (e) {
  var box = document.getElementById('q');
  if (e.key === '/' && box && document.activeElement !== box) { e.preventDefault(); box.focus(); }
});
