// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only VFIO PCI variant drivers, for the dma-buf export of variants.
 * Both bind only through driver_override; everything but the export is
 * vfio-pci-core's.
 *
 * vfio-pci-test-variant does not opt in to VFIO_DEVICE_FEATURE_DMA_BUF
 * (no &vfio_pci_device_ops.get_dmabuf_phys), as a variant that cannot
 * describe its regions as physical ranges: the export and its PROBE get
 * EOPNOTSUPP.
 *
 * vfio-pci-test-window opts in with a layout of its own, the way
 * nvgrace-gpu exports device memory that is not where the physical BAR
 * is: what it exports as a memory BAR is a window onto the upper half of
 * that BAR. Offset 0 of the exported region is the first byte of the
 * BAR's upper half, and the region ends where the BAR ends, so a range in
 * the BAR's upper half is past the region's end. Tests check with DMA
 * that the bytes land where the window says.
 *
 * Both show, in the bound device's p2pdma_providers attribute, the BARs
 * that have a P2P provider. vfio-pci-core creates the providers once,
 * when it registers the device: they are there right after the bind, on
 * a driver that never exports too.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/vfio_pci_core.h>

static int vfio_pci_test_variant_open(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vfio_pci_test_variant_ops = {
	.name		= "vfio-pci-test-variant",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vfio_pci_test_variant_open,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

/* The window: the upper half of a memory BAR */
static int vfio_pci_test_window_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
						struct p2pdma_provider **provider,
						unsigned int region_index,
						struct phys_vec *phys_vec,
						struct vfio_region_dma_range *dma_ranges,
						size_t nr_ranges)
{
	struct pci_dev *pdev = vdev->pdev;
	resource_size_t half = pci_resource_len(pdev, region_index) / 2;

	*provider = pcim_p2pdma_provider(pdev, region_index);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   pci_resource_start(pdev, region_index) +
					   half, half);
}

static const struct vfio_pci_device_ops vfio_pci_test_window_pci_ops = {
	.get_dmabuf_phys = vfio_pci_test_window_get_dmabuf_phys,
};

static int vfio_pci_test_probe(struct pci_dev *pdev,
			       const struct vfio_pci_device_ops *pci_ops)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vfio_pci_test_variant_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	vdev->pci_ops = pci_ops;
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

static int vfio_pci_test_variant_probe(struct pci_dev *pdev,
				       const struct pci_device_id *id)
{
	/* No pci_ops: this driver's regions cannot be exported */
	return vfio_pci_test_probe(pdev, NULL);
}

static int vfio_pci_test_window_probe(struct pci_dev *pdev,
				      const struct pci_device_id *id)
{
	return vfio_pci_test_probe(pdev, &vfio_pci_test_window_pci_ops);
}

static void vfio_pci_test_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* The BARs with a P2P provider, in ascending order: "0 2" */
static ssize_t p2pdma_providers_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	int bar, len = 0;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pcim_p2pdma_provider(pdev, bar))
			len += sysfs_emit_at(buf, len, "%s%d", len ? " " : "",
					     bar);
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(p2pdma_providers);

static struct attribute *vfio_pci_test_attrs[] = {
	&dev_attr_p2pdma_providers.attr,
	NULL
};
ATTRIBUTE_GROUPS(vfio_pci_test);

static const struct pci_device_id vfio_pci_test_ids[] = {
	/* driver_override only */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_pci_test_ids);

static struct pci_driver vfio_pci_test_variant_driver = {
	.name = "vfio-pci-test-variant",
	.id_table = vfio_pci_test_ids,
	.probe = vfio_pci_test_variant_probe,
	.remove = vfio_pci_test_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
	.dev_groups = vfio_pci_test_groups,
};

static struct pci_driver vfio_pci_test_window_driver = {
	.name = "vfio-pci-test-window",
	.id_table = vfio_pci_test_ids,
	.probe = vfio_pci_test_window_probe,
	.remove = vfio_pci_test_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
	.dev_groups = vfio_pci_test_groups,
};

static int __init vfio_pci_test_init(void)
{
	int ret;

	ret = pci_register_driver(&vfio_pci_test_variant_driver);
	if (ret)
		return ret;
	ret = pci_register_driver(&vfio_pci_test_window_driver);
	if (ret)
		pci_unregister_driver(&vfio_pci_test_variant_driver);
	return ret;
}
module_init(vfio_pci_test_init);

static void __exit vfio_pci_test_exit(void)
{
	pci_unregister_driver(&vfio_pci_test_window_driver);
	pci_unregister_driver(&vfio_pci_test_variant_driver);
}
module_exit(vfio_pci_test_exit);

MODULE_DESCRIPTION("Test-only VFIO PCI variant drivers for dma-buf export");
MODULE_LICENSE("GPL");
