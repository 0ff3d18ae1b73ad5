// The Orthanc entry points: reads the "Cairn" configuration, serves the viewer and the models under /cairn/
// through Orthanc's own REST routing (so Orthanc's authentication and RemoteAccessAllowed apply), and adds the
// "Open in Cairn" entry to Orthanc Explorer. What is answered is decided by StaticSite, which knows nothing of
// Orthanc.
#include <orthanc/OrthancCPlugin.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "settings.hpp"
#include "static_site.hpp"

#ifndef CAIRN_PLUGIN_VERSION
#define CAIRN_PLUGIN_VERSION "0.0.0"
#endif
#ifndef CAIRN_DEFAULT_VIEWER_ROOT
#define CAIRN_DEFAULT_VIEWER_ROOT "web/dist/viewer"
#endif
#ifndef CAIRN_DEFAULT_MODELS_ROOT
#define CAIRN_DEFAULT_MODELS_ROOT "models"
#endif

extern const char* const kCairnExplorerButtonJs;  // explorer_button.js, embedded by CMake

namespace {

OrthancPluginContext* g_context = nullptr;
std::unique_ptr<cairn::plugin::StaticSite> g_site;

void log_warning(const std::string& message) { OrthancPluginLogWarning(g_context, ("Cairn: " + message).c_str()); }
void log_error(const std::string& message) { OrthancPluginLogError(g_context, ("Cairn: " + message).c_str()); }

std::string take_orthanc_string(char* s) {
  if (s == nullptr) return std::string();
  std::string copy(s);
  OrthancPluginFreeString(g_context, s);
  return copy;
}

std::string_view header_value(const OrthancPluginHttpRequest* request, const char* lowercase_name) {
  for (uint32_t i = 0; i < request->headersCount; ++i) {
    if (std::strcmp(request->headersKeys[i], lowercase_name) == 0) return request->headersValues[i];
  }
  return {};
}

OrthancPluginErrorCode send(OrthancPluginRestOutput* output, const cairn::plugin::Response& response) {
  for (const cairn::plugin::Header& h : response.headers) {
    OrthancPluginSetHttpHeader(g_context, output, h.name.c_str(), h.value.c_str());
  }
  switch (response.status) {
    case 200: {
      std::string_view content = response.content();
      OrthancPluginAnswerBuffer(g_context, output, content.data(), static_cast<uint32_t>(content.size()),
                                response.mime_type.c_str());
      break;
    }
    case 405:
      OrthancPluginSendMethodNotAllowed(g_context, output, "GET,HEAD");
      break;
    case 304:
      OrthancPluginSendHttpStatusCode(g_context, output, 304);
      break;
    default:
      // OrthancPluginSendHttpStatus sends the reason with no Content-Type of its own.
      if (!response.mime_type.empty()) {
        OrthancPluginSetHttpHeader(g_context, output, "Content-Type", response.mime_type.c_str());
      }
      OrthancPluginSendHttpStatus(g_context, output, static_cast<uint16_t>(response.status), response.body.data(),
                                  static_cast<uint32_t>(response.body.size()));
      break;
  }
  return OrthancPluginErrorCode_Success;
}

// Registered for "/cairn" and "/cairn/(.*)": group 0, when present, is the path below /cairn/.
OrthancPluginErrorCode serve_cairn(OrthancPluginRestOutput* output, const char* /*url*/,
                                   const OrthancPluginHttpRequest* request) {
  try {
    // Orthanc answers HEAD through the GET handler and drops the body.
    cairn::plugin::Method method =
        request->method == OrthancPluginHttpMethod_Get ? cairn::plugin::Method::kGet : cairn::plugin::Method::kOther;
    std::string path = request->groupsCount > 0 ? std::string("/") + request->groups[0] : std::string();
    return send(output, g_site->serve(method, path, header_value(request, "if-none-match")));
  } catch (const std::bad_alloc&) {
    return OrthancPluginErrorCode_NotEnoughMemory;
  } catch (...) {
    return OrthancPluginErrorCode_InternalError;
  }
}

std::filesystem::path configuration_folder() {
  std::filesystem::path p(take_orthanc_string(OrthancPluginGetConfigurationPath(g_context)));
  std::error_code ec;
  if (p.empty()) return std::filesystem::current_path(ec);
  if (std::filesystem::is_directory(p, ec)) return p;
  return p.parent_path();
}

}  // namespace

extern "C" {

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext* context) {
  g_context = context;
  if (!OrthancPluginCheckVersion(context)) {
    log_error(std::string("this Orthanc (") + context->orthancVersion + ") is older than the SDK the plugin was "
              "built with (" + std::to_string(ORTHANC_PLUGINS_MINIMAL_MAJOR_NUMBER) + "." +
              std::to_string(ORTHANC_PLUGINS_MINIMAL_MINOR_NUMBER) + "." +
              std::to_string(ORTHANC_PLUGINS_MINIMAL_REVISION_NUMBER) + ")");
    return -1;
  }
  OrthancPluginSetDescription(context, "Cairn: serves the Cairn viewer and its models under /cairn/ with the "
                                       "headers for cross-origin isolation and a strict CSP.");
  try {
    cairn::plugin::Settings defaults;
    defaults.viewer_root = CAIRN_DEFAULT_VIEWER_ROOT;
    defaults.models_root = CAIRN_DEFAULT_MODELS_ROOT;
    std::string config = take_orthanc_string(OrthancPluginGetConfiguration(context));
    cairn::plugin::SettingsResult read = cairn::plugin::read_settings(config, configuration_folder(), defaults);
    for (const std::string& w : read.warnings) log_warning(w);
    if (!read.settings) {
      log_error("configuration error: " + read.error);
      return -1;
    }
    log_warning("version " CAIRN_PLUGIN_VERSION "; " + cairn::plugin::describe(*read.settings));
    if (!read.settings->enabled) {
      log_warning("disabled by \"Cairn\".Enabled: nothing is served under /cairn/");
      return 0;
    }
    g_site = std::make_unique<cairn::plugin::StaticSite>(std::move(*read.settings));
    log_warning("Content-Security-Policy: " + g_site->content_security_policy());
  } catch (...) {
    log_error("out of memory while starting");
    return -1;
  }
  // Without a lock: the site is read-only after this point, and model downloads should not queue behind each other.
  OrthancPluginRegisterRestCallbackNoLock(context, "/cairn", serve_cairn);
  OrthancPluginRegisterRestCallbackNoLock(context, "/cairn/(.*)", serve_cairn);
  OrthancPluginExtendOrthancExplorer(context, kCairnExplorerButtonJs);
  log_warning("serving /cairn/ (viewer) and /cairn/models/; \"Open in Cairn\" added to Orthanc Explorer");
  return 0;
}

ORTHANC_PLUGINS_API void OrthancPluginFinalize() { g_site.reset(); }

ORTHANC_PLUGINS_API const char* OrthancPluginGetName() { return "cairn"; }

ORTHANC_PLUGINS_API const char* OrthancPluginGetVersion() { return CAIRN_PLUGIN_VERSION; }

}  // extern "C"
