<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>sm::ui::GeneratePanel</name>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="46"/>
        <source>%1 %2/%3</source>
        <translation>%1 %2/%3</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="47"/>
        <source> · %1 per step</source>
        <translation> · 每步 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="48"/>
        <source> · %1 left</source>
        <translation> · 剩余 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="53"/>
        <source>Warning: %1</source>
        <translation>警告：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="57"/>
        <source>Failed.</source>
        <translation>失败。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="62"/>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="75"/>
        <source>File...</source>
        <translation>文件...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="78"/>
        <source>Choose a model file</source>
        <translation>选择模型文件</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="79"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="84"/>
        <source>Folder...</source>
        <translation>文件夹...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="87"/>
        <source>Choose a diffusers folder</source>
        <translation>选择 diffusers 文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="98"/>
        <source>SD 1.5 checkpoint or diffusers folder</source>
        <translation>SD 1.5 检查点或 diffusers 文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="99"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="101"/>
        <source>AnimateDiff motion module</source>
        <translation>AnimateDiff 运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="102"/>
        <source>Motion module</source>
        <translation>运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="104"/>
        <source>optional: a DreamBooth / fine-tuned SD 1.5 injected into the base</source>
        <translation>可选：注入基础模型的 DreamBooth / 微调 SD 1.5</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="105"/>
        <source>Customized model</source>
        <translation>定制模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="108"/>
        <source>optional: a trained Motion Adapter (enables the motion slider)</source>
        <translation>可选：训练好的运动适配器（启用运动滑块）</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="109"/>
        <source>Motion Adapter</source>
        <translation>运动适配器</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="111"/>
        <source>optional: Spatial Adapters trained for the customized model</source>
        <translation>可选：为定制模型训练的空间适配器</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="112"/>
        <source>Spatial Adapters</source>
        <translation>空间适配器</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="115"/>
        <source>a corgi running on the beach, best quality</source>
        <translation>a corgi running on the beach, best quality</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="117"/>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="119"/>
        <source>what to avoid (optional)</source>
        <translation>要避免的内容（可选）</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="120"/>
        <source>Negative prompt</source>
        <translation>反向提示词</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="126"/>
        <source>Frames</source>
        <translation>帧数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="137"/>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="140"/>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="143"/>
        <source>Guidance (CFG)</source>
        <translation>引导系数 (CFG)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="146"/>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="149"/>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="151"/>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="154"/>
        <source>Frames per second</source>
        <translation>每秒帧数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="175"/>
        <source>Motion scale</source>
        <translation>运动缩放</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="178"/>
        <source>Spatial strength</source>
        <translation>空间强度</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="180"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="181"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="182"/>
        <source>Export...</source>
        <translation>导出...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="195"/>
        <source>Choose a base model and a motion module, write a prompt, press Generate.</source>
        <translation>选择基础模型和运动模块，输入提示词，然后点击“生成”。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="202"/>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="203"/>
        <source>MP4 video (*.mp4);;GIF animation (*.gif)</source>
        <translation>MP4 视频 (*.mp4);;GIF 动画 (*.gif)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="253"/>
        <location filename="../ui/panels/generate_panel.cpp" line="259"/>
        <source>Cannot generate</source>
        <translation>无法生成</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="253"/>
        <source>Choose a base model and a motion module first.</source>
        <translation>请先选择基础模型和运动模块。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="265"/>
        <source>Generation failed</source>
        <translation>生成失败</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="266"/>
        <source>Loading models...</source>
        <translation>正在加载模型...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="268"/>
        <source>Generate: %1</source>
        <translation>生成：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="276"/>
        <source>Done: seed %1 · denoising %2 · decoding %3</source>
        <translation>完成：种子 %1 · 去噪 %2 · 解码 %3</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="291"/>
        <source>Cannot export %1</source>
        <translation>无法导出 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="302"/>
        <source>Exported %1</source>
        <translation>已导出 %1</translation>
    </message>
</context>
<context>
    <name>sm::ui::JobRunner</name>
    <message numerus="yes">
        <location filename="../ui/workers/job_runner.cpp" line="43"/>
        <source>Queued: waiting for %n job(s) on the compute worker</source>
        <translation>
            <numerusform>排队中：计算工作线程上还有 %n 个任务在前</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>sm::ui::LossPlot</name>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="14"/>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="17"/>
        <source>moving average</source>
        <translation>滑动平均</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="19"/>
        <source>step</source>
        <translation>步数</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="20"/>
        <source>diffusion loss</source>
        <translation>扩散损失</translation>
    </message>
</context>
<context>
    <name>sm::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="28"/>
        <source>Still-Moving Studio</source>
        <translation>Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="30"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="31"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="32"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="35"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="46"/>
        <source>Show the compute worker&apos;s queue</source>
        <translation>显示计算工作线程的队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="54"/>
        <source>Queue: idle</source>
        <translation>队列：空闲</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="55"/>
        <source>Queue: %1 running, %2 waiting</source>
        <translation>队列：%1 个运行中，%2 个等待中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="103"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="104"/>
        <source>Open Model &amp;File...</source>
        <translation>打开模型文件(&amp;F)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="105"/>
        <source>Open Model F&amp;older...</source>
        <translation>打开模型文件夹(&amp;O)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="107"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="108"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="109"/>
        <source>&amp;Preferences...</source>
        <translation>首选项(&amp;P)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="113"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="114"/>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="115"/>
        <source>About Still-Moving Studio</source>
        <translation>关于 Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="116"/>
        <source>Still-Moving Studio %1
Customize text-to-video models without customized video data (Still-Moving, arXiv 2407.08674).</source>
        <translation>Still-Moving 工作室 %1
无需定制视频数据即可定制文本生成视频模型（Still-Moving，arXiv 2407.08674）。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="124"/>
        <source>Open model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="125"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin);;All files (*)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="130"/>
        <source>Open diffusers model folder</source>
        <translation>打开 diffusers 模型文件夹</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="135"/>
        <source>Cannot open %1</source>
        <translation>无法打开 %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="140"/>
        <source>LibTorch %1 · %2 CPU threads · device: %3</source>
        <translation>LibTorch %1 · %2 个 CPU 线程 · 设备：%3</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="143"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="143"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
</context>
<context>
    <name>sm::ui::ModelPanel</name>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="19"/>
        <source>Open an SD 1.5 checkpoint, a diffusers folder, an AnimateDiff motion module, a ControlNet or a LoRA (File menu) to see what it holds.</source>
        <translation>通过“文件”菜单打开 SD 1.5 检查点、diffusers 文件夹、AnimateDiff 运动模块、ControlNet 或 LoRA，查看其内容。</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="24"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="24"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="68"/>
        <source>naming</source>
        <translation>命名</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="69"/>
        <source>format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="70"/>
        <source>tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="71"/>
        <source>parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="74"/>
        <source>dtypes</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="77"/>
        <source>, keys match</source>
        <translation>，键名匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="77"/>
        <source>, keys do not match</source>
        <translation>，键名不匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="78"/>
        <source>component</source>
        <translation>组件</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="78"/>
        <source>%1 tensors</source>
        <translation>%1 个张量</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="81"/>
        <source>note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>sm::ui::PreferencesDialog</name>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="13"/>
        <source>Preferences</source>
        <translation>首选项</translation>
    </message>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="16"/>
        <source>All physical cores (%1)</source>
        <translation>全部物理核心 (%1)</translation>
    </message>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="18"/>
        <source>CPU threads:</source>
        <translation>CPU 线程：</translation>
    </message>
</context>
<context>
    <name>sm::ui::QueuePanel</name>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="13"/>
        <source>Cancel job</source>
        <translation>取消任务</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="14"/>
        <source>Jobs run one at a time on the compute worker, in this order</source>
        <translation>任务按此顺序在计算工作线程上逐个运行</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="17"/>
        <source>Cancel the selected job: a waiting job is dropped, a running one stops at its next step</source>
        <translation>取消所选任务：等待中的任务将被移除，运行中的任务会在下一步停止</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="35"/>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="35"/>
        <source>queued</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="36"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../ui/panels/queue_panel.cpp" line="41"/>
        <source>No jobs: the compute worker is idle</source>
        <translation>没有任务：计算工作线程空闲</translation>
    </message>
</context>
<context>
    <name>sm::ui::TrainingPanel</name>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="97"/>
        <source>File...</source>
        <translation>文件...</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="98"/>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="99"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin)</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="103"/>
        <source>Save as...</source>
        <translation>另存为...</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="104"/>
        <source>Save the adapter as</source>
        <translation>适配器另存为</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="105"/>
        <source>Adapter weights (*.safetensors)</source>
        <translation>适配器权重 (*.safetensors)</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="109"/>
        <source>Folder...</source>
        <translation>文件夹...</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="110"/>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="119"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="126"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="126"/>
        <source>SD 1.5 checkpoint or diffusers folder</source>
        <translation>SD 1.5 检查点或 diffusers 文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="127"/>
        <source>Motion module</source>
        <translation>运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="127"/>
        <source>AnimateDiff motion module</source>
        <translation>AnimateDiff 运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="128"/>
        <source>Customized model</source>
        <translation>定制模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="128"/>
        <source>DreamBooth / fine-tuned SD 1.5 (for Spatial Adapters)</source>
        <translation>DreamBooth / 微调 SD 1.5（用于空间适配器）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="129"/>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="129"/>
        <source>optional: a style or subject LoRA instead of (or on top of) it</source>
        <translation>可选：风格或主体 LoRA，代替它（或叠加其上）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="136"/>
        <source>Automatic (CUDA when usable)</source>
        <translation>自动（可用时使用 CUDA）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="137"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="138"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="139"/>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="144"/>
        <source>Training data</source>
        <translation>训练数据</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="148"/>
        <source>Frozen videos (still frames)</source>
        <translation>冻结视频（静止帧）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="149"/>
        <source>Prior videos (natural motion)</source>
        <translation>先验视频（自然运动）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="151"/>
        <source>Frozen videos train the Motion Adapter and, of the customized model&apos;s images, the Spatial Adapters. About 40 natural videos keep the motion prior (Spatial Adapters).</source>
        <translation>冻结视频用于训练运动适配器；由定制模型图像生成的冻结视频用于训练空间适配器。约 40 段自然视频用于保持运动先验（空间适配器）。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="153"/>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="156"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="159"/>
        <source>one prompt per line, with the token, e.g.
a photo of sks dog on a sofa</source>
        <translation>每行一个提示词，包含标识词，例如
a photo of sks dog on a sofa</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="161"/>
        <location filename="../ui/panels/training_panel.cpp" line="413"/>
        <source>Prompts</source>
        <translation>提示词</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="163"/>
        <source>a folder of your images or videos</source>
        <translation>存放你的图像或视频的文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="165"/>
        <source>Input folder</source>
        <translation>输入文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="167"/>
        <source>new folder for the dataset</source>
        <translation>数据集的新文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="169"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="182"/>
        <source>Size · frames</source>
        <translation>尺寸 · 帧数</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="628"/>
        <source>Train Spatial Adapters: %1</source>
        <translation>训练空间适配器：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="629"/>
        <source>Train Motion Adapter: %1</source>
        <translation>训练运动适配器：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="187"/>
        <location filename="../ui/panels/training_panel.cpp" line="422"/>
        <source>Samples per prompt</source>
        <translation>每个提示词的样本数</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="399"/>
        <source>Images from the customized model</source>
        <translation>定制模型生成的图像</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="400"/>
        <source>Your images (folder)</source>
        <translation>你的图像（文件夹）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="401"/>
        <source>Frames of your videos (folder)</source>
        <translation>你的视频中的帧（文件夹）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="402"/>
        <source>Frames of base-model videos</source>
        <translation>基础模型生成的视频帧</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="404"/>
        <source>Natural videos (folder)</source>
        <translation>自然视频（文件夹）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="189"/>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="190"/>
        <location filename="../ui/panels/training_panel.cpp" line="251"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="191"/>
        <source>Open Dataset...</source>
        <translation>打开数据集...</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="283"/>
        <source>Build a dataset, or open one you built before.</source>
        <translation>构建数据集，或打开之前构建的数据集。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="205"/>
        <source>Open a dataset folder</source>
        <translation>打开数据集文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="212"/>
        <location filename="../ui/panels/training_panel.cpp" line="250"/>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="216"/>
        <source>Motion Adapter (once per base model)</source>
        <translation>运动适配器（每个基础模型一次）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="217"/>
        <source>Spatial Adapters (per customized model)</source>
        <translation>空间适配器（每个定制模型）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="218"/>
        <source>Adapter</source>
        <translation>适配器</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="226"/>
        <location filename="../ui/panels/training_panel.cpp" line="435"/>
        <location filename="../ui/panels/training_panel.cpp" line="590"/>
        <source>Frozen videos</source>
        <translation>冻结视频</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="226"/>
        <source>frozen-video dataset folder</source>
        <translation>冻结视频数据集文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="227"/>
        <location filename="../ui/panels/training_panel.cpp" line="590"/>
        <source>Prior videos</source>
        <translation>先验视频</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="227"/>
        <source>optional: prior-video dataset folder</source>
        <translation>可选：先验视频数据集文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="228"/>
        <source>Motion Adapter</source>
        <translation>运动适配器</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="229"/>
        <source>the trained Motion Adapter (empty: the no-Motion-Adapter ablation)</source>
        <translation>训练好的运动适配器（留空：无运动适配器消融）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="230"/>
        <source>Output file</source>
        <translation>输出文件</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="242"/>
        <source>Steps · learning rate</source>
        <translation>步数 · 学习率</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="245"/>
        <source>Rank · checkpoint every</source>
        <translation>秩 · 检查点间隔</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="246"/>
        <source>Resume from the last checkpoint</source>
        <translation>从上一个检查点继续</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="252"/>
        <source>Use in Generate</source>
        <translation>在生成中使用</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="254"/>
        <source>Put the trained adapter and its models into the Generate tab.</source>
        <translation>将训练好的适配器及其模型填入“生成”标签页。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="294"/>
        <source>Choose the models and a frozen-video dataset, press Train.</source>
        <translation>选择模型和冻结视频数据集，然后点击“训练”。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="268"/>
        <source>Training data preview</source>
        <translation>训练数据预览</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="270"/>
        <source>No dataset yet.</source>
        <translation>尚无数据集。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="287"/>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="310"/>
        <location filename="../ui/panels/training_panel.cpp" line="336"/>
        <source>%1 %2/%3</source>
        <translation>%1 %2/%3</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="311"/>
        <location filename="../ui/panels/training_panel.cpp" line="338"/>
        <source> · %1 left</source>
        <translation> · 剩余 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="317"/>
        <location filename="../ui/panels/training_panel.cpp" line="349"/>
        <source>Warning: %1</source>
        <translation>警告：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="321"/>
        <location filename="../ui/panels/training_panel.cpp" line="353"/>
        <source>Failed.</source>
        <translation>失败。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="326"/>
        <source>Cancelled: no dataset was written.</source>
        <translation>已取消：未写入数据集。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="337"/>
        <location filename="../ui/panels/training_panel.cpp" line="641"/>
        <source> · %1 per step</source>
        <translation> · 每步 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="354"/>
        <source>Training failed</source>
        <translation>训练失败</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="359"/>
        <source>Cancelled at step %1: checkpoint saved; tick Resume to continue.</source>
        <translation>已在第 %1 步取消：检查点已保存；勾选“继续”以接着训练。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="362"/>
        <source>Cancelled before the first step: nothing was saved.</source>
        <translation>在第一步之前取消：未保存任何内容。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="405"/>
        <source>Videos the base model generates</source>
        <translation>基础模型生成的视频</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="413"/>
        <source>Caption</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="414"/>
        <source>One prompt per line; put the customization token in it.</source>
        <translation>每行一个提示词；在其中加入定制标识词。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="415"/>
        <source>The caption of images or videos without a NAME.txt beside them.</source>
        <translation>没有同名 NAME.txt 的图像或视频所用的描述。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="422"/>
        <source>Videos</source>
        <translation>视频数</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="423"/>
        <source>%1 · steps</source>
        <translation>%1 · 步数</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="435"/>
        <source>Frozen videos (customized)</source>
        <translation>冻结视频（定制）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="544"/>
        <source>Cannot build the dataset</source>
        <translation>无法构建数据集</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="322"/>
        <source>Building the dataset failed</source>
        <translation>构建数据集失败</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="550"/>
        <location filename="../ui/panels/training_panel.cpp" line="625"/>
        <source>Loading models...</source>
        <translation>正在加载模型...</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="552"/>
        <source>Prior dataset: %1</source>
        <translation>先验数据集：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="553"/>
        <source>Frozen dataset: %1</source>
        <translation>冻结数据集：%1</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/panels/training_panel.cpp" line="561"/>
        <source>Built %1: %n sample(s)</source>
        <translation>
            <numerusform>已构建 %1：%n 个样本</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/panels/training_panel.cpp" line="562"/>
        <source>, %n input(s) skipped (see the warnings)</source>
        <translation>
            <numerusform>，跳过 %n 个输入（见警告）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="576"/>
        <source>Cannot open the dataset %1</source>
        <translation>无法打开数据集 %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/panels/training_panel.cpp" line="591"/>
        <source>%1 · %n sample(s) · %2</source>
        <translation>
            <numerusform>%1 · %n 个样本 · %2</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="595"/>
        <source>This dataset has no contact sheet (%1).</source>
        <translation>此数据集没有预览图（%1）。</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="614"/>
        <source>Cannot train</source>
        <translation>无法训练</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/panels/training_panel.cpp" line="637"/>
        <source>Wrote %1 after %n step(s), last loss %2</source>
        <translation>
            <numerusform>训练 %n 步后已写入 %1，最终损失 %2</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="640"/>
        <source> (resumed at step %1)</source>
        <translation>（从第 %1 步继续）</translation>
    </message>
    <message>
        <location filename="../ui/panels/training_panel.cpp" line="642"/>
        <source>. Checkpoint: %1</source>
        <translation>。检查点：%1</translation>
    </message>
</context>
<context>
    <name>sm::ui::VideoPreview</name>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="21"/>
        <source>The generated video plays here.</source>
        <translation>生成的视频在此播放。</translation>
    </message>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="23"/>
        <location filename="../ui/widgets/video_preview.cpp" line="69"/>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="69"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
</context>
</TS>
