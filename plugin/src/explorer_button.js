// Cairn: an "Open in Cairn" entry in the "Access" list of Orthanc Explorer's study page. It links to the viewer
// that the Cairn plugin serves on the same origin, with the study's StudyInstanceUID (what DICOMweb knows it by).
// Orthanc appends this to its explorer.js, which runs on jQuery Mobile 1.x (hence .live).
$('#study').live('pagebeforeshow', function () {
  $('#cairn-open-study').remove();
  var page = $.mobile.pageData;
  if (!page || !page.uuid) {
    return;
  }
  $.ajax({
    url: '../studies/' + encodeURIComponent(page.uuid),
    dataType: 'json',
    cache: false,
    success: function (study) {
      var uid = study && study.MainDicomTags && study.MainDicomTags.StudyInstanceUID;
      if (!uid) {
        return;
      }
      var link = $('<a>')
        .attr({ href: '../cairn/?study=' + encodeURIComponent(uid), target: '_blank', rel: 'noopener' })
        .text('Open in Cairn');
      var item = $('<li>').attr({ id: 'cairn-open-study', 'data-icon': 'forward' }).append(link);
      $('#cairn-open-study').remove();
      $('#study-access').append(item).listview('refresh');
    }
  });
});
