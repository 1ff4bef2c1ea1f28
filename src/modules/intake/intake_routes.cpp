#include "modules/intake/intake_routes.hpp"

#include <sodium.h>

#include <charconv>

#include "core/json_fields.hpp"
#include "http/multipart.hpp"

namespace dd::intake {
namespace {

using http::Response;
using nlohmann::json;

// Overwrites the request body (the uploaded file) when the handler ends.
class WipeBody {
 public:
  explicit WipeBody(std::string& body) : body_(body) {}
  ~WipeBody() {
    if (!body_.empty()) sodium_memzero(body_.data(), body_.size());
    body_.clear();
    body_.shrink_to_fit();
  }
  WipeBody(const WipeBody&) = delete;
  WipeBody& operator=(const WipeBody&) = delete;

 private:
  std::string& body_;
};

std::string Field(const std::vector<http::FormPart>& parts, std::string_view name) {
  const http::FormPart* p = http::FindPart(parts, name);
  return p ? std::string(p->data) : std::string();
}

Result<const http::FormPart*> FilePart(const std::vector<http::FormPart>& parts) {
  const http::FormPart* f = http::FindPart(parts, "file");
  if (!f) return InvalidArgument("missing_field", {{"field", "file"}});
  if (f->data.empty()) return InvalidArgument("file_empty");
  return f;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<Response> PreviewImport(IntakeService& svc, http::RouteContext& ctx) {
  WipeBody wipe(ctx.req.body);
  DD_ASSIGN_OR_RETURN(auto parts,
                      http::ParseMultipart(ctx.req.Header("content-type"), ctx.req.body));
  DD_ASSIGN_OR_RETURN(const http::FormPart* file, FilePart(parts));
  DD_ASSIGN_OR_RETURN(json preview, svc.Preview(file->data, file->filename, Field(parts, "sheet")));
  return Response::Json(200, preview);
}

Result<Response> PostImport(IntakeService& svc, http::RouteContext& ctx) {
  WipeBody wipe(ctx.req.body);
  DD_ASSIGN_OR_RETURN(auto parts,
                      http::ParseMultipart(ctx.req.Header("content-type"), ctx.req.body));
  DD_ASSIGN_OR_RETURN(const http::FormPart* file, FilePart(parts));
  ImportRequest req;
  req.filename = file->filename;
  req.bytes = file->data;
  req.batch_name = Field(parts, "batch_name");
  req.source = Field(parts, "source");
  req.consent_note = Field(parts, "consent_note");
  std::string quality = Field(parts, "quality");
  if (!quality.empty()) req.quality = quality;
  std::string retention = Field(parts, "retention_days");
  if (!retention.empty()) {
    req.retention_days = ParseInt(retention);
    if (!req.retention_days) return InvalidArgument("invalid_field", {{"field", "retention_days"}});
  }
  std::string mapping = Field(parts, "mapping");
  if (!mapping.empty()) {
    json m = json::parse(mapping, nullptr, false);
    if (m.is_discarded() || !m.is_object()) return InvalidArgument("invalid_mapping");
    req.mapping = std::move(m);
  }
  std::string dry = Field(parts, "dry_run");
  req.dry_run = dry == "true" || dry == "1" || dry == "on";
  req.sheet = Field(parts, "sheet");
  req.progress_id = Field(parts, "progress_id").substr(0, 64);
  DD_ASSIGN_OR_RETURN(json report, svc.Import(ctx.actor_ref(), req));
  return Response::Json(200, report);
}

Result<Response> GetImportProgress(IntakeService& svc, http::RouteContext& ctx) {
  auto it = ctx.params.find("progress_id");
  if (it == ctx.params.end()) return NotFound("progress");
  auto p = svc.Progress(it->second);
  if (!p) return NotFound("progress");
  return Response::Json(200, *p);
}

Result<Response> ListBatches(IntakeService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.ListBatches(ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> GetBatch(IntakeService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json out, svc.GetBatch(ctx.actor_ref(), id));
  return Response::Json(200, out);
}

Result<Response> GetRejects(IntakeService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  auto file = svc.RejectsXlsx(ctx.actor_ref(), id, ctx.lang);
  if (!file.ok()) {
    if (file.error().reason == "rejects_expired") {
      return http::ProblemResponse(file.error(), ctx.lang, 410);
    }
    return std::move(file).error();
  }
  Response r;
  r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  r.body = std::move(file).value();
  r.SetHeader("Content-Disposition",
              "attachment; filename=\"rejects-" + std::to_string(id) + ".xlsx\"");
  return r;
}

Result<Response> ListDnc(IntakeService& svc, http::RouteContext& ctx) {
  int limit = static_cast<int>(ParseInt(ctx.req.QueryParam("limit")).value_or(50));
  DD_ASSIGN_OR_RETURN(json out, svc.ListDnc(ctx.req.QueryParam("q"), limit,
                                            ParseInt(ctx.req.QueryParam("before_id"))));
  return Response::Json(200, out);
}

Result<Response> AddDnc(IntakeService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(std::string phone, jsonf::RequiredString(body, "phone"));
  DD_ASSIGN_OR_RETURN(auto note, jsonf::OptionalString(body, "note"));
  DD_ASSIGN_OR_RETURN(json out, svc.AddDnc(ctx.actor_ref(), phone, note.value_or("")));
  return Response::Json(201, out);
}

Result<Response> RemoveDnc(IntakeService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_RETURN_IF_ERROR(svc.RemoveDnc(ctx.actor_ref(), id));
  return Response::NoContent();
}

Result<Response> ImportDnc(IntakeService& svc, http::RouteContext& ctx) {
  WipeBody wipe(ctx.req.body);
  DD_ASSIGN_OR_RETURN(auto parts,
                      http::ParseMultipart(ctx.req.Header("content-type"), ctx.req.body));
  DD_ASSIGN_OR_RETURN(const http::FormPart* file, FilePart(parts));
  DD_ASSIGN_OR_RETURN(json out, svc.ImportDnc(ctx.actor_ref(), file->data, file->filename));
  return Response::Json(200, out);
}

Result<Response> ListSettings(settings::Settings& s, http::RouteContext& ctx) {
  (void)ctx;
  DD_ASSIGN_OR_RETURN(auto entries, s.List());
  json items = json::array();
  for (const auto& e : entries) {
    items.push_back({{"key", e.def->key},
                     {"value", e.value},
                     {"default", e.def->default_value},
                     {"is_default", e.is_default}});
  }
  return Response::Json(200, {{"items", items}});
}

Result<Response> PutSetting(settings::Settings& s, http::RouteContext& ctx) {
  auto it = ctx.params.find("key");
  if (it == ctx.params.end()) return NotFound("setting");
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  auto v = body.find("value");
  if (v == body.end()) return InvalidArgument("missing_field", {{"field", "value"}});
  std::string value = v->is_string() ? v->get<std::string>() : v->dump();
  DD_RETURN_IF_ERROR(s.Set(ctx.actor_ref(), it->second, value));
  DD_ASSIGN_OR_RETURN(std::string now, s.Get(it->second));
  return Response::Json(200, {{"key", it->second}, {"value", now}});
}

}  // namespace dd::intake
