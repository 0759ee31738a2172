#include "platform/window_glfw.hpp"

// The few GL calls made here (viewport, clear, read pixels) exist alike in OpenGL 3 and GLES 3,
// so the desktop header serves both contexts; ImGui's backend loads its own GL functions.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace kiosk::platform {
namespace {

WindowGlfw* Self(GLFWwindow* w) { return static_cast<WindowGlfw*>(glfwGetWindowUserPointer(w)); }

// Installed before ImGui's, which chain to them: we only note activity and collect wedge input.
void MouseButtonCb(GLFWwindow* w, int, int, int) { Self(w)->OnInput(); }
void CursorPosCb(GLFWwindow* w, double, double) { Self(w)->OnInput(); }
void ScrollCb(GLFWwindow* w, double, double) { Self(w)->OnInput(); }
void KeyCb(GLFWwindow* w, int key, int, int action, int) {
  Self(w)->OnInput();
  if (action == GLFW_RELEASE) return;
  if (key == GLFW_KEY_ENTER || key == GLFW_KEY_KP_ENTER) Self(w)->OnKey(true, false);
  if (key == GLFW_KEY_TAB) Self(w)->OnKey(false, true);
}
void CharCb(GLFWwindow* w, unsigned int c) {
  Self(w)->OnInput();
  Self(w)->OnChar(c);
}
void WindowCb(GLFWwindow* w) { Self(w)->OnInput(); }
void FocusCb(GLFWwindow* w, int) { Self(w)->OnInput(); }
void SizeCb(GLFWwindow* w, int, int) { Self(w)->OnInput(); }

// OpenGL ES 3 and OpenGL 3.3 have texture swizzles in core. The version string (GL_VERSION)
// starts with the version ("4.5 (Compatibility Profile) Mesa 22.3.6") or "OpenGL ES 3.1 Mesa ...".
bool HasTextureSwizzle(const std::string& s) {
  int major = 0, minor = 0;
  if (s.rfind("OpenGL ES ", 0) == 0) return std::sscanf(s.c_str() + 10, "%d", &major) == 1 && major >= 3;
  if (std::sscanf(s.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major > 3 || (major == 3 && minor >= 3);
}

void ErrorCb(int code, const char* text) { std::fprintf(stderr, "glfw error %d: %s\n", code, text); }

}  // namespace

bool GlesByDefault() {
#ifdef KIOSK_GLES
  return true;
#else
  return false;
#endif
}

Result<std::unique_ptr<WindowGlfw>> WindowGlfw::Create(const WindowOptions& options) {
  glfwSetErrorCallback(ErrorCb);
  if (!glfwInit())
    return MakeError(ErrorKind::Usage, "gui.no_display",
                     "Cannot open a window: no display found (is $DISPLAY set? Under no display, run it with xvfb-run).");
  std::unique_ptr<WindowGlfw> self(new WindowGlfw());
  glfwWindowHint(GLFW_CLIENT_API, options.gles ? GLFW_OPENGL_ES_API : GLFW_OPENGL_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  const char* glsl = options.gles ? "#version 300 es" : "#version 130";
  int w = options.width, h = options.height;
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
  if (options.fullscreen || w <= 0 || h <= 0) {
    if (mode) {
      w = mode->width;
      h = mode->height;
    } else {
      w = 1024;
      h = 600;
    }
  }
  glfwWindowHint(GLFW_DECORATED, options.fullscreen ? GLFW_FALSE : GLFW_TRUE);
  glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);
  glfwWindowHint(GLFW_AUTO_ICONIFY, GLFW_FALSE);
  // A borderless window the size of the monitor rather than exclusive full screen: no mode switch,
  // and a crash leaves the desktop as it was.
  self->m_window = glfwCreateWindow(w, h, options.title.c_str(), nullptr, nullptr);
  if (!self->m_window) {
    glfwTerminate();
    return MakeError(ErrorKind::Usage, "gui.no_gl",
                     options.gles ? "Cannot create a window: the graphics driver offers no OpenGL ES 3.0 context."
                                  : "Cannot create an OpenGL 3 window: the graphics driver offers no OpenGL 3.0 "
                                    "context (on a GLES-only board, build with -DKIOSK_GLES=ON or set KIOSK_GLES=1).");
  }
  if (options.fullscreen) glfwSetWindowPos(self->m_window, 0, 0);
  glfwSetWindowUserPointer(self->m_window, self.get());
  glfwMakeContextCurrent(self->m_window);
  glfwSwapInterval(1);
  glfwSetMouseButtonCallback(self->m_window, MouseButtonCb);
  glfwSetCursorPosCallback(self->m_window, CursorPosCb);
  glfwSetScrollCallback(self->m_window, ScrollCb);
  glfwSetKeyCallback(self->m_window, KeyCb);
  glfwSetCharCallback(self->m_window, CharCb);
  glfwSetWindowRefreshCallback(self->m_window, WindowCb);
  glfwSetWindowFocusCallback(self->m_window, FocusCb);
  glfwSetFramebufferSizeCallback(self->m_window, SizeCb);
  self->m_imgui_glfw = ImGui_ImplGlfw_InitForOpenGL(self->m_window, true);
  self->m_imgui_gl = ImGui_ImplOpenGL3_Init(glsl);
  if (!self->m_imgui_glfw || !self->m_imgui_gl)
    return MakeError(ErrorKind::Usage, "gui.backend", "Cannot start the ImGui OpenGL backend.");
  return self;
}

WindowGlfw::~WindowGlfw() {
  if (m_font_texture) {
    glDeleteTextures(1, &m_font_texture);
    ImGui::GetIO().Fonts->SetTexID(0);
  }
  if (m_imgui_gl) ImGui_ImplOpenGL3_Shutdown();
  if (m_imgui_glfw) ImGui_ImplGlfw_Shutdown();
  if (m_window) glfwDestroyWindow(m_window);
  glfwTerminate();
}

std::string WindowGlfw::GlVersion() const {
  const auto* v = reinterpret_cast<const char*>(glGetString(GL_VERSION));
  return v ? v : "";
}

bool WindowGlfw::ShouldClose() const { return glfwWindowShouldClose(m_window); }

void WindowGlfw::WaitEvents(double timeout_s) {
  if (timeout_s < 0) glfwWaitEvents();
  else glfwWaitEventsTimeout(timeout_s);
}

void WindowGlfw::PollEvents() { glfwPollEvents(); }
void WindowGlfw::Wake() { glfwPostEmptyEvent(); }

void WindowGlfw::NewFrame() {
  ImGui_ImplOpenGL3_NewFrame();  // the first call creates the backend's objects, its RGBA atlas among them
  if (!m_font_replaced) {
    m_font_replaced = true;
    UseOneChannelFontTexture();
  }
  ImGui_ImplGlfw_NewFrame();
}

// The atlas holds only coverage: ImGui's backend uploads it as RGBA (white plus alpha), four
// bytes a texel where one does, and the driver keeps that copy for the whole run (1 MB for the
// kiosk's 512x512 atlas; on a board, in the memory it shares with the GPU). A red-only texture
// swizzled to (1, 1, 1, red) samples exactly the same in the backend's unchanged shader. Where
// the context has no swizzle, the backend's texture stays.
void WindowGlfw::UseOneChannelFontTexture() {
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  // Only while the built atlas' pixels are still there (the app frees them after the first
  // frame): asked for them later, ImGui would build a new atlas from its default font.
  if (!atlas->TexPixelsAlpha8 || !HasTextureSwizzle(GlVersion())) return;
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  atlas->GetTexDataAsAlpha8(&pixels, &w, &h);
  GLint last_texture = 0, last_alignment = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &last_texture);
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &last_alignment);
  while (glGetError() != GL_NO_ERROR) {
  }
  GLuint tex = 0;
  glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  const GLint swizzle[4] = {GL_ONE, GL_ONE, GL_ONE, GL_RED};
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, swizzle[0]);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_G, swizzle[1]);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, swizzle[2]);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_A, swizzle[3]);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, w, h, 0, GL_RED, GL_UNSIGNED_BYTE, pixels);
  glPixelStorei(GL_UNPACK_ALIGNMENT, last_alignment);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(last_texture));
  if (glGetError() != GL_NO_ERROR) {  // keep the backend's texture
    glDeleteTextures(1, &tex);
    return;
  }
  ImGui_ImplOpenGL3_DestroyFontsTexture();  // frees the RGBA texture and clears the atlas' id
  m_font_texture = tex;
  atlas->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)));
}

void WindowGlfw::Render() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(m_window, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.08f, 0.09f, 0.11f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void WindowGlfw::Swap() { glfwSwapBuffers(m_window); }

bool WindowGlfw::ReadPixels(std::vector<uint8_t>& rgba, int& width, int& height) {
  glfwGetFramebufferSize(m_window, &width, &height);
  if (width <= 0 || height <= 0) return false;
  std::vector<uint8_t> raw(static_cast<size_t>(width) * height * 4);
  // Forget errors of earlier calls: ImGui's desktop-GL backend makes a call or two that a GLES
  // context refuses harmlessly (glPolygonMode), and only this read's own error matters here.
  while (glGetError() != GL_NO_ERROR) {
  }
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, raw.data());
  rgba.resize(raw.size());
  size_t row = static_cast<size_t>(width) * 4;
  for (int y = 0; y < height; ++y)  // GL's first row is the bottom one
    std::copy_n(raw.data() + (height - 1 - y) * row, row, rgba.data() + y * row);
  return glGetError() == GL_NO_ERROR;
}

int WindowGlfw::Width() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(m_window, &w, &h);
  return w;
}

int WindowGlfw::Height() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(m_window, &w, &h);
  return h;
}

bool WindowGlfw::TakeActivity() { return m_activity.exchange(false); }

int64_t WindowGlfw::TimeMs() const { return static_cast<int64_t>(glfwGetTime() * 1000.0); }

void WindowGlfw::OnChar(unsigned int codepoint) {
  m_keys.push_back(KeyInput{static_cast<char32_t>(codepoint), false, false, TimeMs()});
}

void WindowGlfw::OnKey(bool enter, bool tab) { m_keys.push_back(KeyInput{0, enter, tab, TimeMs()}); }

std::vector<WindowGlfw::KeyInput> WindowGlfw::TakeKeys() { return std::exchange(m_keys, {}); }

}  // namespace kiosk::platform
