// The reference for bench_gui: the smallest Dear ImGui app one could ship, an empty GLFW +
// OpenGL 3 window drawing one button and redrawing once a second. Prints the same trace line as
// `kiosk gui --trace` when its first frame is on screen. Run by bench_gui; not a product.
//   bench_gui_minimal [--exit-after MS]
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

static long long MonoUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char** argv) {
  long long exit_after_ms = -1;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--exit-after") == 0) exit_after_ms = std::atoll(argv[i + 1]);
  long long start = MonoUs();
  if (!glfwInit()) return 3;
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_DECORATED, GLFW_FALSE);
  GLFWwindow* window = glfwCreateWindow(1024, 600, "minimal", nullptr, nullptr);
  if (!window) return 3;
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 130");
  bool first = true;
  while (!glfwWindowShouldClose(window)) {
    if (exit_after_ms >= 0 && (MonoUs() - start) / 1000 >= exit_after_ms) break;
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::Begin("minimal");
    ImGui::Button("One button");
    ImGui::End();
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.1f, 0.1f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    glfwSwapBuffers(window);
    if (first) {
      first = false;
      std::printf("trace first_frame_mono_us %lld\n", MonoUs());
      std::fflush(stdout);
    }
    glfwWaitEventsTimeout(1.0);
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return 0;
}
